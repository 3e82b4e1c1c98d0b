import { AppError } from '@slipway/core';
// jose is ESM-only: Node 20.19+ loads it with require() (the gateway is CommonJS).
// jest cannot, so only this file imports it and no unit test imports this file.
import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { invalidToken, unavailable, type IdTokenVerifier } from './oidc-flow';

/**
 * ID tokens verified with jose: the signature with the provider's JWKS
 * (fetched from jwks_uri, cached, refetched when a new key id appears) or, for
 * HS* tokens, the client secret; then issuer, audience, expiry and iat.
 */
export function createIdTokenVerifier(timeoutMs: number): IdTokenVerifier {
  const keySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();
  const keySet = (jwksUri: string) => {
    let set = keySets.get(jwksUri);
    if (!set) {
      set = createRemoteJWKSet(new URL(jwksUri), { timeoutDuration: timeoutMs, cooldownDuration: 30_000, cacheMaxAge: 600_000 });
      keySets.set(jwksUri, set);
    }
    return set;
  };

  return async (idToken, { provider, metadata }) => {
    const remote = keySet(metadata.jwks_uri);
    const secret = new TextEncoder().encode(provider.clientSecret);
    const getKey: JWTVerifyGetKey = (header, token) => (header.alg?.startsWith('HS') ? secret : remote(header, token));
    // RS256 is the algorithm every provider must support (OIDC Core §15.1); "none" is never accepted.
    const algorithms = (metadata.id_token_signing_alg_values_supported ?? ['RS256']).filter((a) => typeof a === 'string' && a !== 'none');
    try {
      const { payload } = await jwtVerify(idToken, getKey, {
        issuer: metadata.issuer,
        audience: provider.clientId,
        algorithms,
        clockTolerance: 30,
        requiredClaims: ['sub', 'iat', 'exp'],
      });
      return payload as Record<string, unknown>;
    } catch (e) {
      if (e instanceof AppError) throw e;
      if (e instanceof errors.JWKSTimeout) throw unavailable(provider, `its keys (${metadata.jwks_uri}) did not arrive within ${timeoutMs} ms`);
      if (e instanceof TypeError && /fetch failed/i.test(e.message)) throw unavailable(provider, `its keys (${metadata.jwks_uri}) are unreachable`);
      if (e instanceof errors.JOSEError && /JSON Web Key Set HTTP response/.test(e.message)) {
        throw unavailable(provider, `its keys (${metadata.jwks_uri}) could not be read (${e.message})`);
      }
      if (e instanceof errors.JWTExpired) throw invalidToken(provider, 'the ID token has expired');
      if (e instanceof errors.JWTClaimValidationFailed) throw invalidToken(provider, `the ID token's ${e.claim} claim is not valid (${e.reason})`);
      if (e instanceof errors.JWSSignatureVerificationFailed) throw invalidToken(provider, "the ID token's signature is not valid");
      if (e instanceof errors.JWKSNoMatchingKey) throw invalidToken(provider, "the ID token is signed with a key not in the provider's JWKS");
      throw invalidToken(provider, `the ID token is not valid (${(e as Error).message})`);
    }
  };
}

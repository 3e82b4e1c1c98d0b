/**
 * Fields whose values are secrets (passwords, tokens, env var values that may
 * be secret, URLs that may carry credentials): validation errors never quote
 * them. Mark the DTO property with `@Secret()`; names that look secret
 * (password, secret, token, ...key) are treated so without the decorator.
 */
const SECRET_PROPERTIES = new WeakMap<object, Set<string>>();
const SECRET_NAME = /password|secret|token|credential|key$/i;

export function Secret(): PropertyDecorator {
  return (prototype, property) => {
    let set = SECRET_PROPERTIES.get(prototype);
    if (!set) SECRET_PROPERTIES.set(prototype, (set = new Set()));
    set.add(String(property));
  };
}

/** True when `property` of `target` (a DTO instance, or undefined) holds a secret. */
export function isSecretField(target: object | undefined, property: string): boolean {
  if (SECRET_NAME.test(property)) return true;
  for (let proto = target ? Object.getPrototypeOf(target) : null; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    if (SECRET_PROPERTIES.get(proto)?.has(property)) return true;
  }
  return false;
}

/** Every non-2xx answer and every network failure, with the API's error format. */
export class SlipwayError extends Error {
  override readonly name = 'SlipwayError';
  constructor(
    /** The API's error.code (e.g. NOT_FOUND, VALIDATION_ERROR), or NETWORK_ERROR when no answer came. */
    readonly code: string,
    message: string,
    /** HTTP status; 0 for a network failure. */
    readonly status: number,
    readonly requestId?: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }

  static async fromResponse(response: Response, body?: unknown): Promise<SlipwayError> {
    let parsed = body;
    if (parsed === undefined) {
      const text = await response.text().catch(() => '');
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = { error: { code: 'HTTP_ERROR', message: text.slice(0, 500) } };
      }
    }
    const e = (parsed as { error?: { code?: string; message?: string; details?: Record<string, unknown>; requestId?: string } } | undefined)?.error;
    return new SlipwayError(
      e?.code ?? 'HTTP_ERROR',
      e?.message ?? `HTTP ${response.status}`,
      response.status,
      e?.requestId ?? response.headers.get('x-request-id') ?? undefined,
      e?.details,
    );
  }
}

/** The delivery is not from Spool (no valid signature), or it is too old or too new to accept. */
export class InvalidSignature extends Error {
  override name = "InvalidSignature";
}

/**
 * Verifies Spool's webhook deliveries (Standard Webhooks): the `v1` HMAC-SHA256 of
 * `webhook-id.webhook-timestamp.body` under the endpoint's secret (`whsec_...`, or several while one
 * is rotated), compared in constant time, and a timestamp within `toleranceSeconds` (300).
 *
 * ```ts
 * const event = await new WebhookVerifier(secret).verify(rawBody, request.headers);
 * ```
 */
export class WebhookVerifier {
  private readonly keys: Promise<CryptoKey[]>;

  constructor(secret: string | string[], readonly toleranceSeconds = 300) {
    const secrets = Array.isArray(secret) ? secret : [secret];
    if (!secrets.length) throw new TypeError("at least one secret");
    this.keys = Promise.all(secrets.map((s) => crypto.subtle.importKey(
      "raw", base64(s.startsWith("whsec_") ? s.slice(6) : s) as BufferSource, { name: "HMAC", hash: "SHA-256" }, false, ["verify"])));
  }

  /** The delivery's parsed JSON body when it is signed by one of the secrets and recent; else rejects with {@link InvalidSignature}. */
  async verify<T = unknown>(body: string | Uint8Array, headers: Headers | Record<string, string | string[] | undefined>, now = Date.now() / 1000): Promise<T> {
    const get = (name: string): string | undefined => {
      if (headers instanceof Headers) return headers.get(name) ?? undefined;
      const found = Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1];
      return Array.isArray(found) ? found[0] : found;
    };
    const id = get("webhook-id");
    const stamp = get("webhook-timestamp");
    const signatures = get("webhook-signature");
    if (!id || !stamp || !signatures) throw new InvalidSignature("missing webhook-id, webhook-timestamp or webhook-signature");
    if (!/^\d+$/.test(stamp)) throw new InvalidSignature("webhook-timestamp is not a number of seconds");
    if (Math.abs(now - Number(stamp)) > this.toleranceSeconds) {
      throw new InvalidSignature(`the delivery is ${Math.round(now - Number(stamp))} s from now, over the tolerance of ${this.toleranceSeconds} s`);
    }
    const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
    const signed = concat(new TextEncoder().encode(`${id}.${stamp}.`), bytes);
    for (const candidate of signatures.split(" ")) {
      const [version, value] = candidate.split(",", 2);
      if (version !== "v1" || !value) continue;
      let signature: Uint8Array;
      try {
        signature = base64(value);
      } catch {
        continue;
      }
      for (const key of await this.keys) {
        // crypto.subtle.verify compares in constant time.
        if (await crypto.subtle.verify("HMAC", key, signature as BufferSource, signed as BufferSource)) {
          return JSON.parse(new TextDecoder().decode(bytes)) as T;
        }
      }
    }
    throw new InvalidSignature("no signature matches the secret");
  }
}

function base64(text: string): Uint8Array {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) throw new TypeError("not base64");
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

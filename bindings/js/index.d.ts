/** `"2h"`, `"1h30m"` or a number of seconds. */
export type Duration = string | number;
/** UNIX seconds or a `Date`. */
export type Time = number | Date;

export interface MintOptions {
  /** Lifetime (default one hour; at most 24 hours). */
  ttl?: Duration;
  /** Expiry instead of `ttl` (at most 24 hours after now). */
  exp?: Time;
  /** Not before. */
  nbf?: Time;
  /** `nbf` this long before now. */
  backdate?: Duration;
  downloadable?: boolean;
  /** The CLI's rules: `"allow:country=GB"`, `"block:ip=203.0.113.0/24"`, `"block:any"`. */
  rules?: string[];
  /** The signing clock, for tests (default: `Date.now()`). */
  now?: Time;
}

/**
 * What every refusal of the library is: an `Error` named
 * `CfStreamTokenError` with these members.
 */
export interface CfStreamTokenError extends Error {
  name: "CfStreamTokenError";
  /** The stable snake_case name of the error kind (`"expiry_too_far"`). */
  kind: string;
  /** The HTTP status a web handler answers with. */
  httpStatus: number;
}

/** An RSA signing key, checked in full when parsed. */
export class SigningKey {
  private constructor();
  /**
   * Any form: PKCS#1 or PKCS#8 PEM, DER (`Uint8Array`), base64 of a PEM,
   * a private JWK or base64 of one, Cloudflare's create-key answer.
   * `kid` is needed where the form has none (PEM, DER).
   */
  static parse(input: string | Uint8Array, options?: { kid?: string }): SigningKey;
  readonly kid: string;
  readonly bits: number;
  free(): void;
}

export interface SignerOptions {
  /**
   * Node, Deno and Bun sign with `node:crypto` (synchronous, the fastest
   * there); `true` signs with WebCrypto instead. Workers always use WebCrypto.
   */
  webcrypto?: boolean;
}

/** Mints tokens with one key (imported once). */
export class Signer {
  /** Takes the key: one `SigningKey` makes one `Signer`. */
  constructor(key: SigningKey, options?: SignerOptions);
  readonly kid: string;
  /** One token for `video`; rejects with a `CfStreamTokenError`. */
  mint(video: string, options?: MintOptions): Promise<string>;
  /** A verifier for this signer's tokens. */
  verifier(options?: VerifierOptions): Verifier;
  free(): void;
}

/** A verified token's claims, as Stream reads them. */
export interface Claims {
  /** The video UID. */
  sub: string;
  kid: string;
  /** UNIX seconds. */
  exp: number;
  /** UNIX seconds, or `null` when the token has none. */
  nbf: number | null;
  downloadable: boolean;
  /** Stream's `accessRules` JSON, in order. */
  accessRules: Array<{ type: string; action: "allow" | "block"; country?: string[]; ip?: string[] }>;
}

export interface VerifierOptions {
  /** Clock difference allowed on `exp` and `nbf` (default none). */
  leeway?: Duration;
}

export interface VerifyOptions {
  /** The token must be for this video (else `wrong_video`). */
  video?: string;
  /** The clock, for tests (default: `Date.now()`). */
  now?: Time;
}

/**
 * Verifies RS256 tokens (nothing else: `none` and HS256 are refused) with
 * one key, or several chosen by the token's `kid`. Keys are imported into
 * WebCrypto once; `verify` checks the signature first, then the kids,
 * `exp` and `nbf`.
 */
export class Verifier {
  private constructor();
  /**
   * One key in any public or private form (JWK, SPKI or PKCS#1 PEM, DER,
   * Cloudflare's answer); `kid` where the form has none. A key with a kid
   * refuses tokens naming another (`wrong_key`).
   */
  static parse(input: string | Uint8Array, options?: VerifierOptions & { kid?: string }): Verifier;
  /**
   * Several keys, each with its kid (a key without one rejects every
   * `verify` with `key_id_required`); a token naming none of them is
   * `unknown_key`.
   */
  static fromKeys(inputs: Array<string | Uint8Array>, options?: VerifierOptions): Verifier;
  /** The claims of a valid token; rejects with a `CfStreamTokenError`. */
  verify(token: string, options?: VerifyOptions): Promise<Claims>;
  free(): void;
}

/**
 * A surface: `"hls"`, `"dash"`, `"iframe"`, `"watch"`, `"thumbnail"`,
 * `"mp4"`, `"m4a"`, `"webrtc"`, or an object with `kind` and its parameters.
 */
export type Surface =
  | string
  | {
      kind: string;
      clientBandwidthHint?: number;
      lowLatency?: boolean;
      time?: Duration;
      width?: number;
      height?: number;
      fit?: "crop" | "clip" | "scale" | "fill";
      filename?: string;
    };

export interface TemplateConfig extends Omit<MintOptions, "now"> {
  /** `customer-<code>.cloudflarestream.com`; or give `host`. */
  customerCode?: string;
  host?: string;
  /** Default `["hls"]`. */
  surfaces?: Surface[];
}

/** Every surface's URL around one token. */
export class PlaybackTemplate {
  constructor(config: TemplateConfig);
  /** A promise of `{surface name: url}`. */
  mint(signer: Signer, video: string, options?: { now?: Time }): Promise<Record<string, string>>;
  free(): void;
}

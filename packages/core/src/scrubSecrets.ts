/**
 * `text` without the credentials among a call's `params`: the values of the parameters the node transport's redactor
 * takes for secrets (a bot's `botToken`, a legacy `CLIENT_ID`, `auth`, any `…token`/`…secret`), nested ones too
 * (`fields.botToken`), each as given and URL-encoded (as a batch command carries it). A portal's `error_description`
 * may quote the request back. Every occurrence is cut, a short secret's too: a mangled word in a message is a
 * lesser harm than a credential in a log. `params` are the call's after its checks (no cycles; any value).
 */
export function scrubSecrets(text: string, params: unknown): string {
  // `for…in`, on anything: nothing to walk in a number or in null (a string is a value, never walked).
  for (const key in params as object) {
    const value = (params as Record<string, unknown>)[key];
    text =
      typeof value !== 'string'
        ? scrubSecrets(text, value)
        : value && /token|secret|^(auth|client_?id)$/i.test(key)
          ? text.replaceAll(value, '***').replaceAll(encodeURIComponent(value), '***')
          : text;
  }
  return text;
}

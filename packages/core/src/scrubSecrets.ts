/**
 * `text` without the credentials among a call's `params`: the values of the parameters the node transport's redactor
 * takes for secrets (a bot's `botToken`, a legacy `CLIENT_ID`, `auth`, any `…token`/`…secret`), nested ones too
 * (`fields.botToken`), each as given and URL-encoded (as a batch command carries it). A portal's `error_description`
 * may quote the request back. Every occurrence is cut, a short secret's too: a mangled word in a message is a
 * lesser harm than a credential in a log. `params` are the call's after its checks (no cycles; any value).
 *
 * The longest are cut first, whatever the order of the keys: a secret that holds another (`abc` in `abcdef`) would
 * otherwise keep the rest of it in the text once the shorter one was cut (`***def`).
 */
export function scrubSecrets(text: string, params: unknown): string {
  for (const secret of secretsIn(params).sort((a, b) => b.length - a.length)) text = text.replaceAll(secret, '***');
  return text;
}

/** The secrets among `params`, each as given and URL-encoded, added to `secrets`. */
function secretsIn(params: unknown, secrets: string[] = []): string[] {
  // `for…in`, on anything: nothing to walk in a number or in null (a string is a value, never walked).
  for (const key in params as object) {
    const value = (params as Record<string, unknown>)[key];
    if (typeof value !== 'string') secretsIn(value, secrets);
    else if (value && /token|secret|^(auth|client_?id)$/i.test(key)) secrets.push(value, encodeURIComponent(value));
  }
  return secrets;
}

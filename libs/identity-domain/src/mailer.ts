/** Where messages to a user's mailbox go. Slipway has no mail transport yet: the service shell logs them. */
export interface Mailer {
  send(message: { to: string; subject: string; text: string }): void | Promise<void>;
}

/**
 * Writes each message to the service's log, for the operator to pass on.
 * The text holds a single-use, short-lived token for that mailbox only;
 * until a mail transport exists, this log line is its delivery.
 */
export function logMailer(log: (line: string) => void): Mailer {
  return { send: ({ to, subject, text }) => log(`mail to ${to}: ${subject}: ${text}`) };
}

import nodemailer, { type Transporter } from "nodemailer";
import type { DueDelivery } from "../../db/stores/notification-deliveries";
import { ChannelError, type NotificationChannel, type OutboundNotification } from "./channel";

export interface SmtpOptions {
  /** smtp://user:pass@host:port or smtps://… (nodemailer's connection URL). */
  url: string;
  /** The From header, e.g. `Interlinked <no-reply@school.example>`. */
  from: string;
  /** Connection and greeting timeouts, ms. Default 10,000. */
  timeoutMs?: number;
}

/** Email over SMTP (nodemailer): the delivery's target is the address; subject = title, text = body. */
export class SmtpEmailChannel implements NotificationChannel {
  readonly name = "email" as const;
  private readonly transport: Transporter;

  constructor(private readonly options: SmtpOptions) {
    const timeout = options.timeoutMs ?? 10_000;
    this.transport = nodemailer.createTransport(options.url, { connectionTimeout: timeout, greetingTimeout: timeout, socketTimeout: timeout });
  }

  async send(delivery: DueDelivery, n: OutboundNotification): Promise<void> {
    try {
      await this.transport.sendMail({
        from: this.options.from,
        to: delivery.target,
        subject: n.title,
        text: n.body || n.title,
        headers: { "X-Interlinked-Notification": n.id, "X-Interlinked-Tenant": n.tenant },
      });
    } catch (err) {
      // 5xx replies refuse the message for good (RFC 5321 §4.2.1); anything else (4xx, connection) is retried
      const code = (err as { responseCode?: number }).responseCode;
      throw new ChannelError(`smtp: ${err instanceof Error ? err.message : String(err)}`, code !== undefined && code >= 500, { cause: err });
    }
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}

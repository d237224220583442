CREATE TABLE "room_messages" (
	"tenant_id" text NOT NULL,
	"id" uuid NOT NULL,
	"room" text NOT NULL,
	"seq" bigint NOT NULL,
	"user_id" text NOT NULL,
	"text" text NOT NULL,
	"sent_at" timestamp with time zone NOT NULL,
	"stored_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "room_messages_tenant_id_id_pk" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
CREATE UNIQUE INDEX "room_messages_room_seq" ON "room_messages" USING btree ("tenant_id","room","seq");--> statement-breakpoint
CREATE INDEX "room_messages_stored_at" ON "room_messages" USING btree ("stored_at");
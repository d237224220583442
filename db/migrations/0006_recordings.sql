CREATE TABLE "recordings" (
	"tenant_id" text NOT NULL,
	"id" uuid NOT NULL,
	"class_id" uuid NOT NULL,
	"session_id" uuid NOT NULL,
	"part" integer NOT NULL,
	"status" text NOT NULL,
	"storage_key" text NOT NULL,
	"content_type" text NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"ended_at" timestamp with time zone,
	"bytes" bigint,
	"duration_ms" integer,
	CONSTRAINT "recordings_tenant_id_id_pk" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "recording_settings" (
	"tenant_id" text PRIMARY KEY NOT NULL,
	"retention_days" integer NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "recordings_class" ON "recordings" USING btree ("tenant_id","class_id","started_at");--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON "recordings" TO interlinked_app;--> statement-breakpoint
ALTER TABLE "recordings" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "recordings" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON "recordings" USING (tenant_id = current_setting('app.tenant', true)) WITH CHECK (tenant_id = current_setting('app.tenant', true));--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON "recording_settings" TO interlinked_app;--> statement-breakpoint
ALTER TABLE "recording_settings" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "recording_settings" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON "recording_settings" USING (tenant_id = current_setting('app.tenant', true)) WITH CHECK (tenant_id = current_setting('app.tenant', true));

CREATE TABLE "class_rosters" (
	"tenant_id" text NOT NULL,
	"class_id" uuid NOT NULL,
	"mode" text NOT NULL,
	"room" text,
	"users" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"updated_by" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "class_rosters_tenant_id_class_id_pk" PRIMARY KEY("tenant_id","class_id")
);
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON "class_rosters" TO interlinked_app;--> statement-breakpoint
ALTER TABLE "class_rosters" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "class_rosters" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON "class_rosters" USING (tenant_id = current_setting('app.tenant', true)) WITH CHECK (tenant_id = current_setting('app.tenant', true));

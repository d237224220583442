-- Row-level security: every query of the application runs as role interlinked_app inside a transaction
-- that has set app.tenant (db/tenant-scope.ts); without the setting no row is visible or writable.
DO $$ BEGIN CREATE ROLE interlinked_app NOLOGIN NOSUPERUSER NOBYPASSRLS; EXCEPTION WHEN duplicate_object THEN NULL; END $$;--> statement-breakpoint
GRANT USAGE ON SCHEMA public TO interlinked_app;--> statement-breakpoint
GRANT interlinked_app TO CURRENT_USER;--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON "tenants" TO interlinked_app;--> statement-breakpoint
ALTER TABLE "tenants" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "tenants" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON "tenants" USING (tenant_id = current_setting('app.tenant', true)) WITH CHECK (tenant_id = current_setting('app.tenant', true));--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON "tenant_quotas" TO interlinked_app;--> statement-breakpoint
ALTER TABLE "tenant_quotas" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "tenant_quotas" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON "tenant_quotas" USING (tenant_id = current_setting('app.tenant', true)) WITH CHECK (tenant_id = current_setting('app.tenant', true));--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON "users" TO interlinked_app;--> statement-breakpoint
ALTER TABLE "users" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "users" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON "users" USING (tenant_id = current_setting('app.tenant', true)) WITH CHECK (tenant_id = current_setting('app.tenant', true));--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON "rooms" TO interlinked_app;--> statement-breakpoint
ALTER TABLE "rooms" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "rooms" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON "rooms" USING (tenant_id = current_setting('app.tenant', true)) WITH CHECK (tenant_id = current_setting('app.tenant', true));--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON "room_members" TO interlinked_app;--> statement-breakpoint
ALTER TABLE "room_members" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "room_members" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON "room_members" USING (tenant_id = current_setting('app.tenant', true)) WITH CHECK (tenant_id = current_setting('app.tenant', true));--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON "room_messages" TO interlinked_app;--> statement-breakpoint
ALTER TABLE "room_messages" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "room_messages" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON "room_messages" USING (tenant_id = current_setting('app.tenant', true)) WITH CHECK (tenant_id = current_setting('app.tenant', true));--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON "conversations" TO interlinked_app;--> statement-breakpoint
ALTER TABLE "conversations" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "conversations" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON "conversations" USING (tenant_id = current_setting('app.tenant', true)) WITH CHECK (tenant_id = current_setting('app.tenant', true));--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON "conversation_members" TO interlinked_app;--> statement-breakpoint
ALTER TABLE "conversation_members" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "conversation_members" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON "conversation_members" USING (tenant_id = current_setting('app.tenant', true)) WITH CHECK (tenant_id = current_setting('app.tenant', true));--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON "chat_messages" TO interlinked_app;--> statement-breakpoint
ALTER TABLE "chat_messages" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "chat_messages" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON "chat_messages" USING (tenant_id = current_setting('app.tenant', true)) WITH CHECK (tenant_id = current_setting('app.tenant', true));--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON "presence_sessions" TO interlinked_app;--> statement-breakpoint
ALTER TABLE "presence_sessions" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "presence_sessions" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON "presence_sessions" USING (tenant_id = current_setting('app.tenant', true)) WITH CHECK (tenant_id = current_setting('app.tenant', true));--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON "feeds" TO interlinked_app;--> statement-breakpoint
ALTER TABLE "feeds" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "feeds" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON "feeds" USING (tenant_id = current_setting('app.tenant', true)) WITH CHECK (tenant_id = current_setting('app.tenant', true));--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON "feed_subscriptions" TO interlinked_app;--> statement-breakpoint
ALTER TABLE "feed_subscriptions" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "feed_subscriptions" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON "feed_subscriptions" USING (tenant_id = current_setting('app.tenant', true)) WITH CHECK (tenant_id = current_setting('app.tenant', true));--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON "notifications" TO interlinked_app;--> statement-breakpoint
ALTER TABLE "notifications" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "notifications" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON "notifications" USING (tenant_id = current_setting('app.tenant', true)) WITH CHECK (tenant_id = current_setting('app.tenant', true));--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON "live_classes" TO interlinked_app;--> statement-breakpoint
ALTER TABLE "live_classes" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "live_classes" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON "live_classes" USING (tenant_id = current_setting('app.tenant', true)) WITH CHECK (tenant_id = current_setting('app.tenant', true));--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON "attendance_events" TO interlinked_app;--> statement-breakpoint
ALTER TABLE "attendance_events" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "attendance_events" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON "attendance_events" USING (tenant_id = current_setting('app.tenant', true)) WITH CHECK (tenant_id = current_setting('app.tenant', true));--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON "quota_events" TO interlinked_app;--> statement-breakpoint
ALTER TABLE "quota_events" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "quota_events" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON "quota_events" USING (tenant_id = current_setting('app.tenant', true)) WITH CHECK (tenant_id = current_setting('app.tenant', true));

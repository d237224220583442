# One image for every role (ROLES=realtime,api | api | workers; MEDIA=1 for media nodes).
# build: every dependency, then `npm run build` bundles the TypeScript into dist/ (esbuild).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci
COPY . .
RUN npm run build

# deps: production dependencies only. .npmrc skips install scripts; mediasoup's worker is fetched/built
# by its own script, so run that one.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev && npm rebuild --ignore-scripts=false mediasoup

# runtime: compiled JavaScript only, production node_modules, and the SQL migrations
# (found from dist/ upward at db/migrations).
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY db/migrations ./db/migrations
EXPOSE 3000
# MEDIA_RTC_MIN_PORT–MEDIA_RTC_MAX_PORT (UDP/TCP) must be published on media nodes.
HEALTHCHECK --interval=10s --timeout=3s CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
STOPSIGNAL SIGTERM
# migrations (k8s Job, compose `migrate`): node dist/scripts/migrate.js
CMD ["node", "--enable-source-maps", "dist/app/main.js"]

# One image for every role (ROLES=realtime,api | api | workers; MEDIA=1 for media nodes).
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json .npmrc ./
# .npmrc skips install scripts; mediasoup's worker is fetched/built by its own script, so run that one.
RUN npm ci && npm rebuild --ignore-scripts=false mediasoup
COPY . .
EXPOSE 3000
# MEDIA_RTC_MIN_PORT–MEDIA_RTC_MAX_PORT (UDP/TCP) must be published on media nodes.
HEALTHCHECK --interval=10s --timeout=3s CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
STOPSIGNAL SIGTERM
CMD ["node", "--import", "tsx", "app/main.ts"]

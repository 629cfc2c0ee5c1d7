# Production image: compiled JavaScript, production dependencies only. One image, one app per container.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY apps ./apps
COPY libs ./libs
RUN npm run build

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --omit=dev --no-audit --no-fund
COPY --from=build /app/dist ./dist
COPY data ./data
USER node
EXPOSE 3000
# The registry API by default; the other apps by their entry point (docker-compose.yml). An ingest container needs
# INGEST_INSTANCE_ID, a name of its own kept across restarts: unset, it is the container's host name, which
# changes whenever the container is recreated (its former sessions are then drained, see docs/ingest.md).
CMD ["node", "dist/apps/registry-api/src/main.js"]

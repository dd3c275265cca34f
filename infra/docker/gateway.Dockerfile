# syntax=docker/dockerfile:1.7
# The gateway image. Build from the repository root:
#   docker build -f infra/docker/gateway.Dockerfile -t kineo-gateway .
# turbo prune keeps only the workspaces @kineo/gateway depends on, so a change elsewhere in the
# monorepo neither invalidates the dependency layer nor ships in the image.
ARG NODE_IMAGE=node:24.22.3-bookworm-slim

FROM ${NODE_IMAGE} AS prune
WORKDIR /repo
COPY . .
RUN npx --yes turbo@2.11.11 prune @kineo/gateway --docker

FROM ${NODE_IMAGE} AS build
WORKDIR /repo
COPY --from=prune /repo/out/json/ .
RUN npm ci --no-audit --no-fund
COPY --from=prune /repo/out/full/ .
RUN npx turbo run build --filter=@kineo/gateway... \
 && find libs apps -name node_modules -type d -prune -exec rm -rf {} +

# The migrations image (images.yml builds it with --target migrate): the deploy workflow runs it as
# a Container Apps job inside the VNet, the only place the private Postgres is reachable from.
# It needs the prisma CLI, a dev dependency of @kineo/db, so it starts from the build stage.
FROM build AS migrate
USER node
CMD ["node", "libs/db/scripts/migrate.js"]

FROM ${NODE_IMAGE} AS deps
WORKDIR /repo
COPY --from=prune /repo/out/json/ .
RUN npm ci --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps --chown=node:node /repo/ ./
COPY --from=build --chown=node:node /repo/libs/ ./libs/
COPY --from=build --chown=node:node /repo/apps/gateway/ ./apps/gateway/
COPY --chown=node:node infra/docker/healthcheck.cjs ./healthcheck.cjs
ENV GATEWAY_HOST=0.0.0.0 GATEWAY_PORT=4000
# V8's young generation at 4 MiB a semi-space instead of its default (16 MiB on Node 20, up to 64
# on Node 24): 15-22 MiB less resident on Node 20, 51-136 MiB on Node 24, no slower on the gateway's
# work (npm run bench:gateway-memory, docs/benchmarks.md). The benches start the gateway with it.
ENV NODE_OPTIONS=--max-semi-space-size=4
EXPOSE 4000
# The image's own unprivileged user (uid 1000): nothing in the app needs root.
USER node
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["node", "healthcheck.cjs", "gateway"]
CMD ["node", "apps/gateway/dist/main.js"]

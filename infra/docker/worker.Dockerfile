# syntax=docker/dockerfile:1.7
# The worker image. Build from the repository root:
#   docker build -f infra/docker/worker.Dockerfile -t kineo-worker .
# turbo prune keeps only the workspaces @kineo/worker depends on, so a change elsewhere in the
# monorepo neither invalidates the dependency layer nor ships in the image.
ARG NODE_IMAGE=node:24.22.3-bookworm-slim

FROM ${NODE_IMAGE} AS prune
WORKDIR /repo
COPY . .
RUN npx --yes turbo@2.11.11 prune @kineo/worker --docker

FROM ${NODE_IMAGE} AS build
WORKDIR /repo
COPY --from=prune /repo/out/json/ .
RUN npm ci --no-audit --no-fund
COPY --from=prune /repo/out/full/ .
RUN npx turbo run build --filter=@kineo/worker... \
 && find libs apps -name node_modules -type d -prune -exec rm -rf {} +

FROM ${NODE_IMAGE} AS deps
WORKDIR /repo
COPY --from=prune /repo/out/json/ .
RUN npm ci --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps --chown=node:node /repo/ ./
COPY --from=build --chown=node:node /repo/libs/ ./libs/
COPY --from=build --chown=node:node /repo/apps/worker/ ./apps/worker/
COPY --chown=node:node infra/docker/healthcheck.cjs ./healthcheck.cjs
# The image's own unprivileged user (uid 1000): nothing in the app needs root.
USER node
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["node", "healthcheck.cjs", "worker"]
CMD ["node", "apps/worker/dist/main.js"]

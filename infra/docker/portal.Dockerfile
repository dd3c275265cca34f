# syntax=docker/dockerfile:1.7
# The portal image: Next.js standalone output (only the files the server traces), no npm install
# at run time. Build from the repository root:
#   docker build -f infra/docker/portal.Dockerfile -t kineo-portal .
ARG NODE_IMAGE=node:24.22.3-bookworm-slim

FROM ${NODE_IMAGE} AS prune
WORKDIR /repo
COPY . .
RUN npx --yes turbo@2.11.11 prune @kineo/portal --docker

FROM ${NODE_IMAGE} AS build
WORKDIR /repo
ENV NEXT_TELEMETRY_DISABLED=1 NEXT_OUTPUT=standalone
COPY --from=prune /repo/out/json/ .
RUN npm ci --no-audit --no-fund
COPY --from=prune /repo/out/full/ .
RUN npx turbo run build --filter=@kineo/portal...

# The standalone output carries the server and the production files it traces from node_modules,
# so the runtime stage installs nothing and holds no dev dependency.
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production NEXT_TELEMETRY_DISABLED=1 HOSTNAME=0.0.0.0 PORT=3000
WORKDIR /app
COPY --from=build --chown=node:node /repo/apps/portal/.next/standalone/ ./
COPY --from=build --chown=node:node /repo/apps/portal/.next/static/ ./apps/portal/.next/static/
COPY --chown=node:node infra/docker/healthcheck.cjs ./healthcheck.cjs
EXPOSE 3000
USER node
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["node", "healthcheck.cjs", "portal"]
CMD ["node", "apps/portal/server.js"]

# still-rl on a GPU cluster: the pinned veRL image (CUDA, torch, vLLM, Ray, veRL's dependencies) plus Node and
# this package. The TS control plane runs next to the Ray head; Python peers (engine, veRL plugin workers) use
# the image's own interpreter, so no second torch is installed.
#   docker build -t still-rl .
#   docker run --gpus all --net=host --shm-size=10g \
#     --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
#     still-rl still doctor --config configs/still3/still3-1.5b.yaml
# (the seccomp/apparmor options let bubblewrap create the code sandbox's user namespaces inside the container)
# `still` runs under tini, which reaps orphaned processes as the container's PID 1 (`docker run --init` does the
# same with Docker's own init); the sandbox reaps its own children either way.
ARG VERL_IMAGE=verlai/verl:vllm024.latest
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
RUN npm ci --no-audit --no-fund
COPY src ./src
RUN npx tsc -p tsconfig.json && npm prune --omit=dev

FROM ${VERL_IMAGE}
# Node runtime from the official image; bubblewrap for the code sandbox; tini as PID 1.
COPY --from=build /usr/local/bin/node /usr/local/bin/node
# Package versions follow the base image's distribution release, which the image tag pins.
# hadolint ignore=DL3008
RUN apt-get update && apt-get install -y --no-install-recommends bubblewrap tini && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/still-rl
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY python ./python
COPY configs ./configs
COPY data ./data
# The bridge peer's own needs; torch/transformers/verl come from the base image.
RUN python3 -m pip install --no-cache-dir --no-deps pyzmq==27.3.0 msgpack==1.2.4 && \
    python3 -m pip install --no-cache-dir --no-deps -e python && \
    ln -s /opt/still-rl/bin/still.js /usr/local/bin/still
# The image's interpreter is both the HF engine's and veRL's (its veRL plugin is registered by the -e install
# above), in place of the .venv and .venv-verl that `npm run setup` / `setup:verl` make on a workstation.
ENV STILL_PYTHON=python3 STILL_VERL_PYTHON=python3
ENTRYPOINT ["tini", "--"]
CMD ["still", "--help"]

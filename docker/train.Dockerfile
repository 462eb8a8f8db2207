# GPU training image: CUDA PyTorch + clam_core + training (no ROS needed to train on bags or simulations).
#   docker build -f docker/train.Dockerfile -t clam-train .        (from the repository root)
#   docker run --gpus all --ipc=host -v $PWD/outputs:/opt/clam/outputs clam-train \
#       torchrun --nproc_per_node=gpu training/demo.py
ARG BASE_IMAGE=pytorch/pytorch:2.10.0-cuda12.8-cudnn9-runtime
FROM ${BASE_IMAGE}

ENV DEBIAN_FRONTEND=noninteractive \
    PIP_NO_CACHE_DIR=1 \
    MUJOCO_GL=egl \
    HF_HUB_OFFLINE=1
SHELL ["/bin/bash", "-o", "pipefail", "-c"]

# FFmpeg libraries for torchcodec, EGL for offscreen MuJoCo rendering.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ffmpeg libegl1 libgl1 libgles2 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/clam
COPY docker/requirements-train.txt docker/requirements-train.txt
RUN python -m pip install -r docker/requirements-train.txt
COPY pyproject.toml README.md ./
COPY clam_core clam_core
COPY training training
RUN python -m pip install --no-deps .

CMD ["python", "training/demo.py", "--help"]

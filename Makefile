# Quick start: `make demo` (the main job) and `make test` (the test suite). Both set up .venv first.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python

# DDS discovery stays on loopback; nothing may fetch from a hub; MuJoCo renders offscreen through EGL.
export ROS_AUTOMATIC_DISCOVERY_RANGE := LOCALHOST
export RMW_IMPLEMENTATION := rmw_fastrtps_cpp
export ROS_LOG_DIR ?= $(shell mktemp -d -t clam-roslog-XXXXXX)
export HF_HUB_OFFLINE := 1
export MUJOCO_GL := egl
# Fast DDS profile for large images (Fast DDS 2.x reads FASTRTPS_..., 3.x FASTDDS_...).
export FASTRTPS_DEFAULT_PROFILES_FILE := $(CURDIR)/launch/config/fastdds_large_images.xml
export FASTDDS_DEFAULT_PROFILES_FILE := $(CURDIR)/launch/config/fastdds_large_images.xml
export PYTHONUNBUFFERED := 1

.PHONY: setup demo demo-toy test lint bench clean

setup:
	@bash scripts/bootstrap.sh

# The whole loop in the kitchen twin: record through the ROS graph, train image CLAM, evaluate the policy graph.
demo: setup
	$(PY) training/twin_demo.py

# CLAM on a 2-D point mass in about two minutes: the algorithm alone, no ROS, no images.
demo-toy: setup
	$(PY) training/demo.py

test: setup
	$(VENV)/bin/ruff check .
	$(PY) -m pytest

lint: setup
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

bench: setup
	$(PY) training/bench_throughput.py

clean:
	rm -rf $(VENV) outputs

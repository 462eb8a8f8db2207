"""Environments and scripted controllers used for data generation and evaluation."""

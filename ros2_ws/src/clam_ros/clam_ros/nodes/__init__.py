"""Thin rclpy shells: parameters, topics, services and timers around the plain-Python classes."""

"""Quest teleoperation: WebXR controller poses over a secure WebSocket -> clutch mapping -> IK -> commands."""

// Streams the right controller's grip pose and buttons to the robot over a secure WebSocket.
"use strict";

const statusLine = document.getElementById("status");
const enterButton = document.getElementById("enter");
const token = new URLSearchParams(window.location.search).get("token") || "";

function show(text, isError) {
  statusLine.textContent = text;
  statusLine.className = isError ? "error" : "";
}

function openSocket() {
  const socket = new WebSocket(`wss://${window.location.host}/ws?token=${encodeURIComponent(token)}`);
  socket.onopen = () => show("Connected to the robot.", false);
  socket.onclose = () => show("Disconnected from the robot (wrong token or server stopped).", true);
  return socket;
}

function sample(frame, space, source, time) {
  const pose = frame.getPose(source.gripSpace, space);
  if (!pose || !source.gamepad) return null;
  const p = pose.transform.position;
  const q = pose.transform.orientation;
  const buttons = source.gamepad.buttons;
  return {
    t: time / 1000,
    position: [p.x, p.y, p.z],
    orientation: [q.x, q.y, q.z, q.w],
    grip: Boolean(buttons[1] && buttons[1].pressed),
    trigger: buttons[0] ? Math.min(1, Math.max(0, buttons[0].value)) : 0,
    buttons: { a: Boolean(buttons[4] && buttons[4].pressed), b: Boolean(buttons[5] && buttons[5].pressed) },
  };
}

async function start() {
  const session = await navigator.xr.requestSession("immersive-vr");
  const space = await session.requestReferenceSpace("local");
  const socket = openSocket();
  const onFrame = (time, frame) => {
    session.requestAnimationFrame(onFrame);
    for (const source of session.inputSources) {
      if (source.handedness !== "right" || socket.readyState !== WebSocket.OPEN) continue;
      const message = sample(frame, space, source, time);
      if (message) socket.send(JSON.stringify(message));
    }
  };
  session.requestAnimationFrame(onFrame);
  session.addEventListener("end", () => socket.close());
}

async function init() {
  if (!token) {
    show("No pairing token in the address: open the URL the teleop node printed.", true);
    return;
  }
  if (!("xr" in navigator)) {
    show("WebXR is not available in this browser: open this page in the Meta Quest browser.", true);
    return;
  }
  const supported = await navigator.xr.isSessionSupported("immersive-vr").catch(() => false);
  if (!supported) {
    show("This browser has WebXR but no VR headset: open this page in the Meta Quest browser.", true);
    return;
  }
  enterButton.disabled = false;
  enterButton.addEventListener("click", () => start().catch((error) => show(`VR failed: ${error}`, true)));
  show("Ready: press Enter VR.", false);
}

init();

// Live exercise page: camera -> JPEG frames over a WebSocket -> count, cues and skeleton back.
// Plain script, no external assets (clinics may be offline). Protocol: api/routes/live.py.
"use strict";

(function () {
  const TOKEN_KEY = "avnmotion.token";
  const SEND_WIDTH = 640;          // frames are downscaled to at most 640x480
  const JPEG_QUALITY = 0.7;
  const MAX_OUTSTANDING = 2;       // frames sent but not yet answered (or dropped) by the server

  const $ = (id) => document.getElementById(id);
  const el = {
    form: $("setup"), token: $("token"), exercise: $("exercise"), exerciseHelp: $("exercise-help"),
    patientField: $("patient-field"), patient: $("patient"), side: $("side"),
    start: $("start"), stop: $("stop"), video: $("video"), overlay: $("overlay"),
    wrap: $("video-wrap"), placeholder: $("placeholder"), count: $("rep-count"),
    set: $("set-index"), holdBox: $("hold-box"), hold: $("hold"), cue: $("cue"),
    countLabel: $("count-label"), holdLabel: $("hold-label"),
    status: $("status"), fps: $("fps"),
  };

  let exercises = [];
  let me = null;
  let stream = null;
  let ws = null;
  let running = false;
  let edges = [];
  let lastLandmarks = null;
  let sent = 0;
  let answered = 0;       // processed + dropped, as reported by the server
  let lastAnswerAt = 0;
  let maxFps = 15;
  let lastSendAt = 0;
  let shownCount = -1;
  let kind = "rep";
  const grab = document.createElement("canvas");

  function setStatus(text) { el.status.textContent = text; }

  function authHeaders() {
    return { "Authorization": "Bearer " + el.token.value.trim(), "Content-Type": "application/json" };
  }

  async function api(path, options) {
    const res = await fetch(path, Object.assign({ headers: authHeaders(), cache: "no-store" }, options || {}));
    if (res.status === 401) throw new Error("The access code was not accepted.");
    if (!res.ok) {
      let detail = res.statusText;
      try {
        const body = await res.json();
        detail = typeof body.detail === "string" ? body.detail
          : (Array.isArray(body.detail) ? body.detail.map((d) => d.msg).join("; ") : detail);
      } catch (e) { /* keep statusText */ }
      throw new Error(detail);
    }
    return res.json();
  }

  async function loadExercises() {
    exercises = await (await fetch("/v1/live/exercises", { cache: "no-store" })).json();
    const keep = el.exercise.value;
    el.exercise.replaceChildren();
    const none = new Option("Choose an exercise", "");
    el.exercise.add(none);
    for (const ex of exercises) el.exercise.add(new Option(ex.name, ex.id));
    if (keep) el.exercise.value = keep;
    showExerciseHelp();
  }

  function showExerciseHelp() {
    const ex = exercises.find((e) => e.id === el.exercise.value);
    const parts = [];
    if (ex && ex.view) parts.push(ex.view === "side" ? "Stand side-on to the camera." : "Face the camera.");
    if (ex && ex.instructions) parts.push(ex.instructions);
    el.exerciseHelp.textContent = parts.join(" ");
  }

  async function checkToken() {
    const token = el.token.value.trim();
    if (!token) return;
    sessionStorage.setItem(TOKEN_KEY, token);
    try {
      me = await api("/v1/me");
      if (me.role === "clinician") {
        const patients = await api("/v1/patients");
        el.patient.replaceChildren();
        for (const p of patients) el.patient.add(new Option(p.name, p.id));
        el.patientField.hidden = false;
      } else {
        el.patientField.hidden = true;
      }
      setStatus("Ready. Choose an exercise and press Start camera.");
    } catch (err) {
      me = null;
      setStatus(err.message);
    }
  }

  async function openCamera() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      throw new Error("This browser cannot open the camera here (it needs https or localhost).");
    }
    stream = await navigator.mediaDevices.getUserMedia({
      audio: false,
      video: { width: { ideal: 640 }, height: { ideal: 480 }, facingMode: "user" },
    });
    el.video.srcObject = stream;
    await el.video.play().catch(() => {});
    const settings = stream.getVideoTracks()[0].getSettings();
    el.wrap.classList.toggle("mirror", settings.facingMode !== "environment");
    el.placeholder.hidden = true;
  }

  function closeCamera() {
    if (stream) for (const t of stream.getTracks()) t.stop();
    stream = null;
    el.video.srcObject = null;
  }

  async function start(event) {
    event.preventDefault();
    if (running) return;
    if (!el.token.value.trim()) { setStatus("Enter your access code."); el.token.focus(); return; }
    if (!el.exercise.value) { setStatus("Choose an exercise."); el.exercise.focus(); return; }
    el.start.disabled = true;
    try {
      setStatus("Opening the camera...");
      await openCamera();
      setStatus("Connecting...");
      const body = { task: el.exercise.value, working_side: el.side.value || null };
      if (me && me.role === "clinician") body.patient_id = el.patient.value;
      const ticket = await api("/v1/live/sessions", { method: "POST", body: JSON.stringify(body) });
      connect(ticket);
    } catch (err) {
      setStatus(err && err.name === "NotAllowedError"
        ? "Camera permission was refused. Allow the camera and try again." : (err.message || String(err)));
      closeCamera();
      el.start.disabled = false;
    }
  }

  function connect(ticket) {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    ws = new WebSocket(scheme + "//" + location.host + ticket.ws_path);
    ws.binaryType = "arraybuffer";
    ws.onopen = () => ws.send(JSON.stringify({ type: "start", ticket: ticket.ticket }));
    ws.onmessage = (msg) => {
      let data;
      try { data = JSON.parse(msg.data); } catch (e) { return; }
      if (data.type === "ready") onReady(data);
      else if (data.type === "update") onUpdate(data);
      else if (data.type === "saved") onSaved(data);
      else if (data.type === "error") setStatus(data.message);
      else if (data.type === "notice") setStatus(data.message);
    };
    ws.onclose = () => {
      if (running) {
        setStatus("Connection lost. Your session so far has been saved if anything was counted.");
      }
      finish();
    };
  }

  function onReady(data) {
    edges = data.skeleton_edges || [];
    kind = data.kind || "rep";
    maxFps = data.max_fps || 15;
    running = true;
    document.body.classList.add("running");
    sent = 0; answered = 0; lastAnswerAt = performance.now(); shownCount = -1;
    el.stop.disabled = false;
    el.holdBox.hidden = data.kind !== "hold";
    el.countLabel.textContent = data.kind === "hold" ? "Holds" : "Reps";
    el.holdLabel.textContent = data.hold_target_s ? "Hold (aim " + data.hold_target_s + " s)" : "Hold";
    el.count.textContent = "0";
    setStatus("Counting: " + data.name + ".");
    el.stop.focus({ preventScroll: true });
    window.scrollTo(0, 0);  // the form is hidden now: show the advice, camera and count
    requestAnimationFrame(loop);
  }

  function onUpdate(u) {
    answered = (u.processed || 0) + (u.dropped || 0);
    lastAnswerAt = performance.now();
    if (u.rep_count !== shownCount) {
      el.count.textContent = String(u.rep_count);
      shownCount = u.rep_count;
    }
    el.set.textContent = String((u.set_index || 0) + 1);
    if (u.hold_s !== null && u.hold_s !== undefined) {
      el.holdBox.hidden = false;
      el.hold.textContent = Math.floor(u.hold_s) + " s";
    }
    const cue = (u.cues && u.cues.length) ? u.cues.join(" ") : "";
    if (el.cue.textContent !== cue) el.cue.textContent = cue;
    el.fps.textContent = u.fps ? u.fps.toFixed(1) : "-";
    lastLandmarks = u.landmarks;
    draw();
  }

  function onSaved(data) {
    running = false;
    const n = data.live_rep_count !== undefined && data.live_rep_count !== null
      ? data.live_rep_count : shownCount;
    setStatus(data.analysis_id
      ? "Saved. You did " + n + (kind === "hold" ? " holds" : " reps")
        + ". Your therapist can see this session."
      : (data.reason || "Nothing was saved."));
    finish();
  }

  function finish() {
    document.body.classList.remove("running");
    stopLoop();
    closeCamera();
    el.start.disabled = false;
    el.stop.disabled = true;
    el.placeholder.hidden = false;
    const ctx = el.overlay.getContext("2d");
    ctx.clearRect(0, 0, el.overlay.width, el.overlay.height);
  }

  function stopLoop() { running = false; }

  function stop() {
    if (!ws) return;
    el.stop.disabled = true;
    setStatus("Saving...");
    running = false;
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: "end" }));
  }

  function loop(now) {
    if (!running) return;
    const outstanding = sent - answered;
    const stalled = now - lastAnswerAt > 2000;
    if (now - lastSendAt >= 1000 / maxFps && (outstanding < MAX_OUTSTANDING || stalled)
        && el.video.readyState >= 2 && ws && ws.readyState === WebSocket.OPEN
        && ws.bufferedAmount < 512 * 1024) {
      lastSendAt = now;
      if (stalled) { answered = sent; lastAnswerAt = now; }
      sendFrame(now);
    }
    requestAnimationFrame(loop);
  }

  function sendFrame(timestampMs) {
    const vw = el.video.videoWidth, vh = el.video.videoHeight;
    if (!vw || !vh) return;
    const scale = Math.min(1, SEND_WIDTH / vw);
    grab.width = Math.round(vw * scale);
    grab.height = Math.round(vh * scale);
    grab.getContext("2d").drawImage(el.video, 0, 0, grab.width, grab.height);
    sent += 1;
    grab.toBlob(async (blob) => {
      if (!blob || !ws || ws.readyState !== WebSocket.OPEN) return;
      const jpeg = new Uint8Array(await blob.arrayBuffer());
      const msg = new Uint8Array(8 + jpeg.length);
      new DataView(msg.buffer).setFloat64(0, timestampMs, false);  // big-endian ms
      msg.set(jpeg, 8);
      ws.send(msg.buffer);
    }, "image/jpeg", JPEG_QUALITY);
  }

  function draw() {
    const c = el.overlay;
    const w = c.clientWidth, h = c.clientHeight;
    if (c.width !== w || c.height !== h) { c.width = w; c.height = h; }
    const ctx = c.getContext("2d");
    ctx.clearRect(0, 0, w, h);
    if (!lastLandmarks || !el.video.videoWidth) return;
    // The video is letterboxed by object-fit: contain; map normalised coordinates onto it.
    const vw = el.video.videoWidth, vh = el.video.videoHeight;
    const s = Math.min(w / vw, h / vh);
    const ox = (w - vw * s) / 2, oy = (h - vh * s) / 2;
    const pt = (i) => {
      const p = lastLandmarks[i];
      return p && p[0] !== null && p[1] !== null ? [ox + p[0] * vw * s, oy + p[1] * vh * s, p[2]] : null;
    };
    ctx.lineCap = "round";
    ctx.lineWidth = Math.max(4, w / 120);
    for (const [a, b] of edges) {
      const pa = pt(a), pb = pt(b);
      if (!pa || !pb) continue;
      ctx.strokeStyle = Math.min(pa[2], pb[2]) >= 0.5 ? "#00e5ff" : "rgba(200,200,200,0.6)";
      ctx.beginPath(); ctx.moveTo(pa[0], pa[1]); ctx.lineTo(pb[0], pb[1]); ctx.stroke();
    }
    ctx.fillStyle = "#ffd400";
    const used = new Set(edges.flat());
    for (const i of used) {
      const p = pt(i);
      if (!p || p[2] < 0.5) continue;
      ctx.beginPath(); ctx.arc(p[0], p[1], ctx.lineWidth, 0, 2 * Math.PI); ctx.fill();
    }
  }

  // -- wiring -----------------------------------------------------------------------------
  el.token.value = sessionStorage.getItem(TOKEN_KEY) || "";
  el.token.addEventListener("change", checkToken);
  el.exercise.addEventListener("change", showExerciseHelp);
  el.form.addEventListener("submit", start);
  el.stop.addEventListener("click", stop);
  window.addEventListener("resize", draw);
  window.addEventListener("pagehide", () => { if (running) stop(); });
  loadExercises().catch(() => setStatus("Could not load the exercise list."));
  if (el.token.value) checkToken();
})();

// Runs in the page: attaches one player to the <video>, records what it lists
// and every error it reports, and exposes controls for the driver (play.mjs).
(() => {
  const params = new URLSearchParams(location.search);
  const kind = params.get('player');
  const src = params.get('src');
  // {kidHex: keyHex} for W3C Clear Key, or null for clear content.
  const clearKeys = params.get('clearkeys') ? JSON.parse(params.get('clearkeys')) : null;
  const base64url = (hex) => btoa(String.fromCharCode(...hex.match(/../g).map((h) => parseInt(h, 16))))
    .replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  const video = document.getElementById('video');
  const result = { player: kind, src, errors: [], warnings: [], renditions: [], ready: false };
  window.__result = result;

  const fail = (message) => result.errors.push(String(message));
  video.addEventListener('error', () => fail(`<video> error ${video.error && video.error.code}: ${video.error && video.error.message}`));

  const describe = (width, height, bandwidth) => ({ width, height, bandwidth });
  const audioTrack = (language, label, roles, channels) => ({ language, label: label || '', roles: roles || [], channels });

  // What the <video> really decodes, measured between it and the speakers: the
  // RMS level of the last 4096 samples.
  let analyser = null;
  const listen = () => {
    if (analyser) return;
    // A muted <video> feeds silence to Web Audio; play.mjs allows unmuted autoplay.
    video.muted = false;
    const context = new AudioContext();
    const source = context.createMediaElementSource(video);
    analyser = context.createAnalyser();
    analyser.fftSize = 4096;
    source.connect(analyser);
    analyser.connect(context.destination);
    context.resume().catch((e) => result.warnings.push(`AudioContext: ${e}`));
  };
  window.__audioTracks = () => [];
  window.__textTracks = () => [];
  // Every cue the <video> knows, from every text track the player gave it.
  window.__cues = () => {
    const out = [];
    for (const track of video.textTracks) {
      for (const cue of (track.cues ? [...track.cues] : [])) out.push({ start: cue.startTime, end: cue.endTime, text: cue.text, track: track.label, language: track.language });
    }
    return out;
  };
  window.__audioDebug = () => ({ state: analyser && analyser.context.state, muted: video.muted, decoded: video.webkitAudioDecodedByteCount });
  window.__audioLevel = () => {
    if (!analyser) return -1;
    const samples = new Float32Array(analyser.fftSize);
    analyser.getFloatTimeDomainData(samples);
    let sum = 0;
    for (const x of samples) sum += x * x;
    return Math.sqrt(sum / samples.length);
  };

  async function startHls() {
    const hls = new Hls(clearKeys
      ? { enableWorker: true, emeEnabled: true, debug: !!params.get('debug'), drmSystems: { 'org.w3.clearkey': { licenseUrl: new URL('/license', location.href).href } } }
      : { enableWorker: true });
    hls.on(Hls.Events.ERROR, (_event, data) => {
      const text = `hls.js ${data.fatal ? 'fatal ' : ''}${data.type}/${data.details}`;
      // Stalls while the first segment downloads are reported as non-fatal errors; they are not failures.
      if (data.fatal) fail(text);
      else result.warnings.push(text);
    });
    hls.on(Hls.Events.MANIFEST_PARSED, () => {
      result.renditions = hls.levels.map((l) => describe(l.width, l.height, l.bitrate));
      result.ready = true;
    });
    // hls.js fills audioTracks after MANIFEST_PARSED.
    window.__audioTracks = () => hls.audioTracks.map((t) => audioTrack(t.lang, t.name,
      (t.attrs && t.attrs.CHARACTERISTICS ? t.attrs.CHARACTERISTICS.split(',') : []), Number(t.attrs && t.attrs.CHANNELS)));
    window.__selectAudio = (i) => { hls.audioTrack = i; };
    window.__textTracks = () => hls.subtitleTracks.map((t) => ({ language: t.lang, label: t.name }));
    window.__selectText = (i) => { hls.subtitleTrack = i; hls.subtitleDisplay = true; };
    hls.loadSource(src);
    hls.attachMedia(video);
    window.__selectLowest = () => {
      let lowest = 0;
      hls.levels.forEach((l, i) => { if (l.height < hls.levels[lowest].height) lowest = i; });
      hls.currentLevel = lowest;
      return hls.levels[lowest].height;
    };
  }

  async function startDash() {
    const player = dashjs.MediaPlayer().create();
    player.on(dashjs.MediaPlayer.events.ERROR, (e) => fail(`dash.js error ${JSON.stringify(e.error || e)}`));
    player.on(dashjs.MediaPlayer.events.PLAYBACK_ERROR, (e) => fail(`dash.js playback error ${JSON.stringify(e.error || e)}`));
    player.on(dashjs.MediaPlayer.events.STREAM_INITIALIZED, () => {
      result.renditions = player.getRepresentationsByType('video').map((r) => describe(r.width, r.height, r.bandwidth));
      window.__audioTracks = () => player.getTracksFor('audio').map((t) => audioTrack(t.lang,
        t.labels && t.labels[0] && t.labels[0].text, (t.roles || []).map((r) => (typeof r === 'string' ? r : r.value)),
        undefined));
      window.__selectAudio = (i) => player.setCurrentTrack(player.getTracksFor('audio')[i]);
      window.__textTracks = () => player.getTracksFor('text').map((t) => ({ language: t.lang,
        label: t.labels && t.labels[0] && t.labels[0].text }));
      window.__selectText = (i) => { player.enableText(true); player.setTextTrack(i); };
      result.ready = true;
    });
    if (clearKeys) {
      const keys = Object.fromEntries(Object.entries(clearKeys).map(([kid, key]) => [base64url(kid), base64url(key)]));
      player.setProtectionData({ 'org.w3.clearkey': { clearkeys: keys } });
    }
    player.initialize(video, src, false);
    window.__selectLowest = () => {
      const reps = player.getRepresentationsByType('video');
      let lowest = 0;
      reps.forEach((r, i) => { if (r.height < reps[lowest].height) lowest = i; });
      player.updateSettings({ streaming: { abr: { autoSwitchBitrate: { video: false } } } });
      player.setRepresentationForTypeByIndex('video', lowest, true);
      return reps[lowest].height;
    };
  }

  async function startShaka() {
    shaka.polyfill.installAll();
    const player = new shaka.Player();
    await player.attach(video);
    player.addEventListener('error', (e) => fail(`shaka error ${e.detail.code} (severity ${e.detail.severity})`));
    if (clearKeys) player.configure({ drm: { clearKeys } });
    try {
      await player.load(src);
    } catch (e) {
      fail(`shaka load failed: code ${e.code} ${JSON.stringify(e.data || [])}`);
      return;
    }
    result.renditions = player.getVariantTracks().map((t) => describe(t.width, t.height, t.bandwidth));
    // Thumbnails for a position: from the manifest's image track (DASH), and
    // from the WebVTT sprite track added beside it.
    const thumbnail = (t) => t && { uri: t.uris[0], x: t.positionX, y: t.positionY, width: t.width, height: t.height, start: t.startTime };
    window.__thumbnails = async (time, vttUri) => {
      const images = player.getImageTracks();
      const fromManifest = images.length ? thumbnail(await player.getThumbnails(images[0].id, time)) : null;
      const added = await player.addThumbnailsTrack(new URL(vttUri, location.href).href, 'text/vtt');
      const fromVtt = thumbnail(await player.getThumbnails(added.id, time));
      return { fromManifest, fromVtt };
    };
    // HLS I-frame playlists become the trick-mode video of each variant.
    window.__trickModeVideos = () => {
      const manifest = player.getManifest();
      const streams = new Set();
      for (const v of (manifest ? manifest.variants : [])) {
        if (v.video && v.video.trickModeVideo) streams.add(v.video.trickModeVideo);
      }
      return [...streams].map((s) => ({ width: s.width, height: s.height, iframe: s.isIframe }));
    };
    window.__audioTracks = () => player.getAudioTracks().map((t) => audioTrack(t.language, t.label, t.roles, t.channelsCount));
    window.__selectAudio = (i) => player.selectAudioTrack(player.getAudioTracks()[i]);
    window.__textTracks = () => player.getTextTracks().map((t) => ({ language: t.language, label: t.label }));
    // Shaka (5.x) holds back HLS text segments until the next video segment
    // is appended (that append tells its text engine the timestamp offset of
    // the discontinuity). A 12-second clip is all buffered long before the
    // test picks a text track, so nothing would ever release them: the active
    // variant is chosen again with its buffer cleared, as a seek far away
    // would do in a long title.
    window.__selectText = (i) => {
      player.selectTextTrack(player.getTextTracks()[i]);
      if (src.endsWith('.m3u8')) {
        const active = player.getVariantTracks().find((t) => t.active);
        if (active) setTimeout(() => player.selectVariantTrack(active, /* clearBuffer= */ true), 500);
      }
    };
    result.ready = true;
    window.__selectLowest = () => {
      const tracks = player.getVariantTracks();
      let lowest = tracks[0];
      tracks.forEach((t) => { if (t.height < lowest.height) lowest = t; });
      player.configure({ abr: { enabled: false } });
      player.selectVariantTrack(lowest, /* clearBuffer= */ true);
      return lowest.height;
    };
  }

  const start = { hls: startHls, dash: startDash, shaka: startShaka }[kind];
  if (!start) {
    fail(`unknown player ${kind}`);
    return;
  }
  // play() is called once the player has a source attached; earlier it can reject.
  const playWhenReady = () => {
    if (!result.ready) {
      setTimeout(playWhenReady, 50);
      return;
    }
    video.play().catch((e) => fail(`play() rejected: ${e}`));
  };
  listen();
  start().then(playWhenReady).catch((e) => fail(`player setup threw: ${e}`));
})();

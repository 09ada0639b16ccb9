#!/usr/bin/env node
// Plays a StreamTranscoding output directory in Debian's chromium with hls.js,
// dash.js and Shaka Player (HLS and DASH), served over HTTP from 127.0.0.1.
//
//   node play.mjs OUTPUT_DIR [--renditions N] [--switch] [--seconds S] [--audio LANG,LANG2[,commentary]]
//                            [--trick-play] [--text LANG,LANG2]
//   node play.mjs --url URL  [...]    an output published elsewhere (e.g. S3 over HTTP,
//                                     which must allow cross-origin reads)
//
// For each player it checks that playback advances by S seconds (or nearly to the
// end of a shorter video), that every rendition is listed, that no player error
// occurs and, with --switch, that forcing the lowest rendition really changes the
// decoded picture size while playback goes on. With --audio, every listed
// language must be among the player's audio tracks (and a commentary, when
// named), and choosing the first track of LANG2 must change the decoded sound:
// the test sources make each language 12 dB quieter than the one before, and a
// Web Audio analyser on the <video> measures the level. With --trick-play, Shaka
// must return, for t=5 s, the tile the output's WebVTT sprite track names (and,
// from DASH, the same tile from the MPD's thumbnail set), and list an I-frame
// (trick-mode) stream for every HLS rendition.
//
// Encrypted outputs: --clearkeys KIDHEX:KEYHEX[,...] gives every player those
// keys through W3C Clear Key (Shaka and dash.js in their configuration, hls.js
// from this server's licence endpoint /license, which the HLS playlists name);
// --expect-undecodable turns each case around: it passes only when the player
// reports an error or shows no progress (wrong keys must not play).
// The same keys are served for HLS AES-128 at /keys/KIDHEX (the playlists'
// key URI). --players hls,dash,shaka-hls,shaka-dash picks the cases. Exits non-zero on any failure.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const remoteRoot = option('--url', '');
const mediaRoot = path.resolve(remoteRoot ? '.' : args[0] ?? '');
const expectedRenditions = Number(option('--renditions', '0'));
const wantSwitch = args.includes('--switch');
const playSeconds = Number(option('--seconds', '3'));
const timeoutMs = Number(option('--timeout', '45000'));
const audioExpectation = option('--audio', '').split(',').filter(Boolean);
const wantCommentary = audioExpectation.includes('commentary');
const audioLanguages = audioExpectation.filter((a) => a !== 'commentary');
const wantTrickPlay = args.includes('--trick-play');
const textLanguages = option('--text', '').split(',').filter(Boolean);
const clearKeys = Object.fromEntries(option('--clearkeys', '').split(',').filter(Boolean).map((pair) => pair.split(':')));
const expectUndecodable = args.includes('--expect-undecodable');
const players = option('--players', 'hls,dash,shaka-hls,shaka-dash').split(',');
const hexToBase64url = (hex) => Buffer.from(hex, 'hex').toString('base64url');

// The tile the WebVTT sprite track gives for `time`, read the way a player would.
function expectedTile(time) {
  const text = remoteRoot ? '' : fs.readFileSync(path.join(mediaRoot, 'thumbnails', 'thumbnails.vtt'), 'utf8');
  const stamp = (s) => s.split(':').reduce((sum, part) => sum * 60 + Number(part), 0);
  for (const block of text.split('\n\n').slice(1)) {
    const [timing, payload] = block.trim().split('\n');
    const [start, end] = timing.split(' --> ').map(stamp);
    if (time >= start && time < end) {
      const [file, rect] = payload.split('#xywh=');
      const [x, y, width, height] = rect.split(',').map(Number);
      return { file, x, y, width, height };
    }
  }
  return null;
}

if (!remoteRoot && !fs.existsSync(path.join(mediaRoot, 'master.m3u8'))) {
  console.error(`usage: node play.mjs OUTPUT_DIR  (no master.m3u8 in ${mediaRoot})`);
  process.exit(2);
}

const libraries = {
  '/lib/hls.min.js': 'node_modules/hls.js/dist/hls.min.js',
  '/lib/dash.all.min.js': 'node_modules/dashjs/dist/modern/umd/dash.all.min.js',
  '/lib/shaka-player.compiled.js': 'node_modules/shaka-player/dist/shaka-player.compiled.js',
  '/harness.html': 'harness.html',
  '/harness.js': 'harness.js',
};
const types = {
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.mpd': 'application/dash+xml',
  '.mp4': 'video/mp4',
  '.m4s': 'video/iso.segment',
  '.js': 'text/javascript',
  '.html': 'text/html',
  '.jpg': 'image/jpeg',
  '.json': 'application/json',
  '.vtt': 'text/vtt',
};

// A W3C Clear Key licence server. Like a DRM service licensing a title, it
// answers every key of the content (as a JSON Web Key set), whichever key ID
// was asked for: hls.js 1.7 asks for the first key only when audio and video
// have keys of their own, and chromium's Clear Key keeps every key it is given.
function license(req, res) {
  let body = '';
  req.on('data', (chunk) => { body += chunk; });
  req.on('end', () => {
    let kids = [];
    try { kids = JSON.parse(body).kids ?? []; } catch { /* answered with no key */ }
    const byKid = Object.fromEntries(Object.entries(clearKeys).map(([kid, key]) => [hexToBase64url(kid), hexToBase64url(key)]));
    const keys = kids.some((kid) => byKid[kid]) ? Object.entries(byKid).map(([kid, k]) => ({ kty: 'oct', kid, k })) : [];
    res.writeHead(200, { 'Content-Type': 'application/json', 'Access-Control-Allow-Origin': '*' }).end(JSON.stringify({ keys, type: 'temporary' }));
  });
}

function serve(req, res) {
  const url = new URL(req.url, 'http://127.0.0.1');
  if (url.pathname === '/license') {
    license(req, res);
    return;
  }
  // HLS AES-128 key delivery: /keys/KIDHEX answers the key's 16 bytes.
  const key = /^\/keys\/([0-9a-f]{32})$/.exec(url.pathname);
  if (key) {
    if (clearKeys[key[1]]) res.writeHead(200, { 'Content-Type': 'application/octet-stream' }).end(Buffer.from(clearKeys[key[1]], 'hex'));
    else res.writeHead(404).end();
    return;
  }
  let file;
  if (libraries[url.pathname]) {
    file = path.join(here, libraries[url.pathname]);
  } else if (url.pathname.startsWith('/media/')) {
    file = path.resolve(mediaRoot, '.' + decodeURIComponent(url.pathname.slice('/media'.length)));
    if (!file.startsWith(mediaRoot + path.sep)) file = null;
  }
  if (!file || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
    res.writeHead(404).end();
    return;
  }
  const size = fs.statSync(file).size;
  const headers = { 'Content-Type': types[path.extname(file)] ?? 'application/octet-stream', 'Accept-Ranges': 'bytes' };
  const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
  if (range) {
    const start = Number(range[1]);
    const end = range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
    res.writeHead(206, { ...headers, 'Content-Range': `bytes ${start}-${end}/${size}`, 'Content-Length': end - start + 1 });
    fs.createReadStream(file, { start, end }).pipe(res);
    return;
  }
  res.writeHead(200, { ...headers, 'Content-Length': size });
  fs.createReadStream(file).pipe(res);
}

const server = http.createServer(serve);
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${server.address().port}`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  // Playwright mutes headless chromium, which silences <video> before Web Audio sees it.
  ignoreDefaultArgs: ['--mute-audio'],
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'],
});

const cases = [
  { id: 'hls', player: 'hls', manifest: 'master.m3u8' },
  { id: 'dash', player: 'dash', manifest: 'manifest.mpd' },
  { id: 'shaka-hls', player: 'shaka', manifest: 'master.m3u8' },
  { id: 'shaka-dash', player: 'shaka', manifest: 'manifest.mpd' },
].filter((c) => players.includes(c.id));
// PLAY_DEBUG=1: hls.js logs, and the players' DRM lines printed here.
const keysParameter = (process.env.PLAY_DEBUG ? '&debug=1' : '') +
  (Object.keys(clearKeys).length ? `&clearkeys=${encodeURIComponent(JSON.stringify(clearKeys))}` : '');

let failures = 0;
for (const c of cases) {
  const name = `${c.player} ${c.manifest}`;
  const context = await browser.newContext();
  const page = await context.newPage();
  const consoleErrors = [];
  page.on('pageerror', (e) => consoleErrors.push(`page error: ${e.message}`));
  if (process.env.PLAY_DEBUG) page.on('console', (m) => { if (/eme|keys|drm|licen|decrypt/i.test(m.text())) console.log('console:', m.text().slice(0, 300)); });
  const problems = [];
  try {
    await page.goto(`${base}/harness.html?player=${c.player}${keysParameter}&src=${encodeURIComponent(remoteRoot ? `${remoteRoot}/${c.manifest}` : `/media/${c.manifest}`)}`);
    if (expectUndecodable) {
      // Given time to fail, it must: an error, or no picture decoded and no progress.
      await page.waitForFunction(() => window.__result.errors.length > 0, null, { timeout: 15000, polling: 100 }).catch(() => {});
      const state = await page.evaluate(() => {
        const v = document.getElementById('video');
        return { errors: window.__result.errors, t: v.currentTime, frames: v.getVideoPlaybackQuality().totalVideoFrames };
      });
      if (state.errors.length === 0 && state.t > 0.5) {
        failures++;
        console.log(`FAIL ${name}: played to ${state.t.toFixed(2)} s (${state.frames} frames) with the wrong keys`);
      } else {
        console.log(`ok   ${name}: does not play with the wrong keys (${state.errors[0] ?? `t=${state.t}, ${state.frames} frames`})`);
      }
      await context.close();
      continue;
    }
    // Playback must advance by playSeconds, or to near the end of a shorter video.
    await page.waitForFunction((seconds) => {
      const v = document.getElementById('video');
      const r = window.__result;
      if (r.errors.length > 0) return true;
      const goal = Number.isFinite(v.duration) && v.duration > 0 ? Math.min(seconds, v.duration - 0.5) : seconds;
      return v.currentTime >= goal;
    }, playSeconds, { timeout: timeoutMs, polling: 100 });

    let switched = null;
    if (wantSwitch && (await page.evaluate(() => window.__result.errors.length === 0))) {
      const height = await page.evaluate(() => window.__selectLowest());
      const from = await page.evaluate(() => document.getElementById('video').currentTime);
      await page.waitForFunction(({ height, from }) => {
        const v = document.getElementById('video');
        return window.__result.errors.length > 0 || (v.videoHeight === height && v.currentTime > from + 0.5);
      }, { height, from }, { timeout: timeoutMs, polling: 100 });
      switched = height;
    }

    let audioSwitch = '';
    if (audioLanguages.length && (await page.evaluate(() => window.__result.errors.length === 0))) {
      const tracks = await page.evaluate(() => window.__audioTracks());
      const listed = tracks.map((t) => `${t.language}${t.channels ? `/${t.channels}ch` : ''}${t.roles.length ? `[${t.roles.join(' ')}]` : ''}`);
      for (const language of audioLanguages) {
        if (!tracks.some((t) => t.language === language)) problems.push(`no audio track in ${language}: lists ${listed.join(', ')}`);
      }
      const isCommentary = (t) => t.roles.some((r) => r === 'commentary' || r === 'public.auxiliary-content');
      if (wantCommentary && !tracks.some(isCommentary)) problems.push(`no commentary track: lists ${listed.join(', ')}`);
      const level = async () => {
        const samples = [];
        for (let i = 0; i < 5; i++) {
          samples.push(await page.evaluate(() => window.__audioLevel()));
          await page.waitForTimeout(100);
        }
        return samples.sort((a, b) => a - b)[2];
      };
      const before = await level();
      const target = tracks.findIndex((t) => t.language === audioLanguages[1] && !isCommentary(t));
      if (!(before > 0)) {
        problems.push(`no decoded audio measured (level ${before}) ${JSON.stringify(await page.evaluate(() => window.__audioDebug()))}`);
      } else if (target < 0) {
        problems.push(`no ${audioLanguages[1]} track to switch to`);
      } else {
        const from = await page.evaluate(() => document.getElementById('video').currentTime);
        await page.evaluate((i) => window.__selectAudio(i), target);
        await page.waitForFunction(({ before, from }) => {
          const v = document.getElementById('video');
          return window.__result.errors.length > 0 || (window.__audioLevel() < before / 2 && v.currentTime > from + 0.5);
        }, { before, from }, { timeout: timeoutMs, polling: 100 });
        const after = await level();
        if (!(after < before / 2)) problems.push(`switching to ${audioLanguages[1]} left the level at ${after} (was ${before})`);
        audioSwitch = `, audio [${listed.join(', ')}], ${audioLanguages[0]} level ${before.toFixed(4)} -> ${audioLanguages[1]} ${after.toFixed(4)}`;
      }
    }

    // Text: every language listed; choosing the first loads its cues, and the
    // test sources' cue at 2.5 s arrives at 2.5 s (within a frame).
    let text = '';
    if (textLanguages.length && (await page.evaluate(() => window.__result.errors.length === 0))) {
      const tracks = await page.evaluate(() => window.__textTracks());
      for (const language of textLanguages) {
        if (!tracks.some((t) => t.language === language)) problems.push(`no text track in ${language}: lists ${JSON.stringify(tracks)}`);
      }
      const target = tracks.findIndex((t) => t.language === textLanguages[0]);
      if (target >= 0) {
        await page.evaluate((i) => window.__selectText(i), target);
        await page.evaluate(() => { document.getElementById('video').currentTime = 1; });
        try {
          await page.waitForFunction(() => window.__cues().some((c) => c.start > 2 && c.start < 3), null, { timeout: timeoutMs, polling: 200 });
        } catch (e) {
          problems.push(`no cue near 2.5 s after choosing ${textLanguages[0]}: ${JSON.stringify(await page.evaluate(() => window.__cues()))}`);
        }
        const cue = (await page.evaluate(() => window.__cues())).find((c) => c.start > 2 && c.start < 3);
        if (cue && Math.abs(cue.start - 2.5) > 1 / 30) problems.push(`the cue at 2.5 s starts at ${cue.start}`);
        text = `, text [${tracks.map((t) => t.language).join(', ')}]${cue ? `, cue at ${cue.start.toFixed(3)} s` : ''}`;
      }
    }

    let trickPlay = '';
    if (wantTrickPlay && c.player === 'shaka' && (await page.evaluate(() => window.__result.errors.length === 0))) {
      const want = expectedTile(5);
      const vttUri = remoteRoot ? `${remoteRoot}/thumbnails/thumbnails.vtt` : '/media/thumbnails/thumbnails.vtt';
      const got = await page.evaluate(({ uri }) => window.__thumbnails(5, uri), { uri: vttUri });
      const same = (t) => t && want && t.uri.split("#")[0].endsWith(`/thumbnails/${want.file}`) && t.x === want.x && t.y === want.y &&
        t.width === want.width && t.height === want.height;
      if (!want) problems.push('the WebVTT sprite track has no cue at 5 s');
      if (!same(got.fromVtt)) problems.push(`WebVTT sprite track thumbnail at 5 s: ${JSON.stringify(got.fromVtt)}, want ${JSON.stringify(want)}`);
      if (c.manifest.endsWith('.mpd') && !same(got.fromManifest)) {
        problems.push(`DASH thumbnail set at 5 s: ${JSON.stringify(got.fromManifest)}, want ${JSON.stringify(want)}`);
      }
      trickPlay = `, thumbnail at 5 s ${want && `${want.file}#${want.x},${want.y}`}${got.fromManifest ? ' (MPD and WebVTT)' : ' (WebVTT)'}`;
      if (c.manifest.endsWith('.m3u8')) {
        const iframes = await page.evaluate(() => window.__trickModeVideos());
        const sizes = new Set(iframes.filter((s) => s.iframe).map((s) => `${s.width}x${s.height}`));
        if (expectedRenditions && sizes.size !== expectedRenditions) {
          problems.push(`lists ${sizes.size} I-frame streams, expected ${expectedRenditions}: ${JSON.stringify(iframes)}`);
        }
        trickPlay += `, ${sizes.size} I-frame streams`;
      }
    }

    const state = await page.evaluate(() => {
      const v = document.getElementById('video');
      return { ...window.__result, currentTime: v.currentTime, videoHeight: v.videoHeight };
    });
    problems.push(...state.errors, ...consoleErrors);
    // Shaka lists a variant per video and audio pair: each picture size counts once.
    const sizes = [...new Set(state.renditions.map((r) => `${r.width}x${r.height}`))];
    if (expectedRenditions && sizes.length !== expectedRenditions) {
      problems.push(`lists ${sizes.length} video renditions, expected ${expectedRenditions}`);
    }
    const listed = sizes.join(' ');
    const summary = `t=${state.currentTime.toFixed(2)}s, renditions [${listed}]${switched ? `, switched to ${switched}p` : ''}${audioSwitch}${text}${trickPlay}`;
    if (state.warnings.length) console.log(`  ${name}: warnings: ${state.warnings.join('; ')}`);
    if (problems.length) {
      failures++;
      console.log(`FAIL ${name}: ${summary}\n  ${problems.join('\n  ')}`);
    } else {
      console.log(`ok   ${name}: ${summary}`);
    }
  } catch (e) {
    failures++;
    const state = await page.evaluate(() => ({ ...window.__result, t: document.getElementById('video').currentTime })).catch(() => ({}));
    console.log(`FAIL ${name}: ${e.message.split('\n')[0]} state=${JSON.stringify(state)} ${consoleErrors.join('; ')}`);
  }
  await context.close();
}

await browser.close();
server.close();
console.log(`${cases.length - failures} passed, ${failures} failed`);
process.exit(failures ? 1 : 0);

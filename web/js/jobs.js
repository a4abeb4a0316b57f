// Background jobs (POST /api/jobs, GET and DELETE /api/jobs/{id}): long work the server runs on
// a thread of its own (a theme file's albums, the duplicates scan). The page starts one, polls
// it for its progress, and cancels it on request; a finished job is then forgotten on the server
// (DELETE), so the server's table keeps only what others still follow.
import { api, getJson, postJson } from "./api.js";

const POLL_MS = 250;

// Thrown by a job's promise when it was cancelled.
export class JobCancelled extends Error {
  constructor() { super("Cancelled."); }
}

const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

const forget = (id) => api(`/api/jobs/${encodeURIComponent(id)}`, { method: "DELETE" });

// Starts a job; `onProgress({done, total})` is called after each poll. Returns
// { done: Promise<result>, cancel() }: the promise resolves with the job's result, or rejects
// with JobCancelled (cancel() was called: the job is cancelled on the server, or was already
// done there, which the caller's next look at the library shows) or an Error with the server's
// message.
export function startJob(body, onProgress) {
  let cancelled = false;
  const done = (async () => {
    let job = await postJson("/api/jobs", body);
    while (job.state === "running" && !cancelled) {
      onProgress(job.progress);
      await sleep(POLL_MS);
      if (!cancelled) job = await getJson(`/api/jobs/${encodeURIComponent(job.id)}`);
    }
    // POST's answer never carries the result, and a short job can end before that answer is
    // written: then the result is read here.
    if (!cancelled && job.state === "done" && !("result" in job)) {
      job = await getJson(`/api/jobs/${encodeURIComponent(job.id)}`);
    }
    await forget(job.id);  // cancels it if it still runs
    if (cancelled || job.state === "cancelled") throw new JobCancelled();
    if (job.state === "failed") throw new Error(job.error);
    onProgress(job.progress);
    return job.result;
  })();
  return { done, cancel: () => { cancelled = true; } };
}

// Shows a job's progress in a <progress> element and a text element beside it.
export function showProgress(bar, text, { done, total }, unit) {
  if (total > 0) {
    bar.max = total;
    bar.value = done;
    text.textContent = `${done.toLocaleString("en")} of ${total.toLocaleString("en")} ${unit}`;
  } else {
    bar.removeAttribute("value");  // indeterminate until the total is known
    text.textContent = "";
  }
}

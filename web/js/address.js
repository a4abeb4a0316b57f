// The page's state in the address (after '#'), so a reload or a shared link shows the same page:
// the view (view=albums|duplicates|status; none: search), the search (q= or like=) and its
// filters (since, until, date=modified, folder, type, camera, min_size, max_size, sort, min, color, cw), an album
// (album=). Parameters at their defaults are left out: a plain search is just "#q=...".

export function readAddress() {
  return new URLSearchParams(location.hash.slice(1));
}

export function writeAddress(params) {
  const hash = params.toString();
  history.replaceState(null, "", location.pathname + location.search + (hash ? "#" + hash : ""));
}

// Takes a token out of the address (it must not stay in the history or in a shared link).
export function takeToken() {
  const params = readAddress();
  const token = params.get("token");
  if (token) {
    params.delete("token");
    writeAddress(params);
  }
  return token;
}

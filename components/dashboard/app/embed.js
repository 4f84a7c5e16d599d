// The widget's frame on a store's page (docs/widget.md): tells the page
// that embeds it how tall its content is, so the frame fits it. Only the
// origin named in the query (the store page's own, as widget.js sent it)
// receives it; the browser drops the message for any other parent.
const parent = new URLSearchParams(location.search).get("origin");

function post() {
  try {
    window.parent.postMessage({ type: "vafa:height", height: document.documentElement.scrollHeight }, parent);
  } catch {
    // Not an origin: nothing to tell.
  }
}

if (parent && window.parent !== window) {
  new ResizeObserver(post).observe(document.body);
  post();
}

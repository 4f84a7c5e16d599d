// The club's widget for a store's own pages (docs/widget.md). The owner
// pastes one tag into the shop's theme:
//   <script src="https://club.example/widget.js" data-store="shop-1" async></script>
// It adds a button that opens the member's panel (points, tier, rewards,
// redeem, join) in a frame from the club's origin, as tall as its content
// within the window. With data-mount="#selector" the frame goes inline
// into that element instead, as tall as its content. data-label names
// the button. Styles are set as properties, which a store page's own
// content security policy does not stop; the frame itself loads only on a
// page the store's origins (PUT /api/stores/{id} "origins") include.
(() => {
  const tag = document.currentScript;
  if (!tag?.dataset.store) {
    console.error("Vafa widget: the script tag needs data-store");
    return;
  }
  const club = new URL(tag.src).origin;
  const query = new URLSearchParams({ store: tag.dataset.store, origin: location.origin });
  const url = `${club}/embed?${query}`;
  const label = tag.dataset.label || "باشگاه مشتریان";
  const frame = document.createElement("iframe");
  frame.title = label;
  Object.assign(frame.style, { display: "block", width: "100%", height: "420px", border: "0", background: "transparent" });
  let tallest = () => Infinity;

  function start() {
    const mount = tag.dataset.mount && document.querySelector(tag.dataset.mount);
    if (mount) {
      frame.src = url;
      mount.append(frame);
      return;
    }
    const panel = document.createElement("div");
    panel.id = "vafa-club-panel";
    panel.hidden = true;
    Object.assign(panel.style, {
      position: "fixed", insetInlineEnd: "16px", bottom: "76px", width: "min(380px, calc(100vw - 32px))", zIndex: "2147483646",
      background: "#fff", borderRadius: "12px", boxShadow: "0 8px 32px rgb(0 0 0 / .25)", overflow: "hidden", direction: "rtl",
    });
    const button = document.createElement("button");
    button.id = "vafa-club";
    button.type = "button";
    button.textContent = label;
    button.setAttribute("aria-expanded", "false");
    button.setAttribute("aria-controls", panel.id);
    Object.assign(button.style, {
      position: "fixed", insetInlineEnd: "16px", bottom: "16px", zIndex: "2147483647", padding: "12px 20px", border: "0",
      borderRadius: "24px", background: "#123c69", color: "#fff", font: "bold 15px Tahoma, sans-serif", cursor: "pointer",
      boxShadow: "0 2px 8px rgb(0 0 0 / .3)", direction: "rtl",
    });
    button.addEventListener("click", () => {
      panel.hidden = !panel.hidden;
      button.setAttribute("aria-expanded", String(!panel.hidden));
      // The frame loads on the first opening: a visitor who never opens it costs the club nothing.
      if (!panel.hidden && !frame.src) frame.src = url;
    });
    tallest = () => window.innerHeight - 100;
    panel.append(frame);
    document.body.append(panel, button);
  }

  // The frame says how tall its content is; only the club's frame is heard.
  window.addEventListener("message", (e) => {
    if (e.origin !== club || e.source !== frame.contentWindow || e.data?.type !== "vafa:height") return;
    const height = Number(e.data.height);
    if (Number.isFinite(height) && height > 0) frame.style.height = `${Math.min(Math.ceil(height), tallest())}px`;
  });
  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();

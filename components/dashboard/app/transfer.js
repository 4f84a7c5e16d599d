// A store's platform API and its past orders, bringing members in from a CSV file (with the import's progress bar and
// its refused rows) and taking members and ledgers out as CSV files.
import { call, dateTime, el, errorText, number, t } from "./i18n.js";

/** The views, for the admin app's router. */
export function transfer({ main, state }) {
  const auth = () => ({ authorization: `Bearer ${state.token}` });

  /** An import's progress: a bar, the counts and the refused rows. */
  function progress(im) {
    const bar = el("progress", { id: "import-progress", max: "1", value: String(im.progress) });
    const counts = el("p", { class: "note", id: "import-counts", text: t("import.counts", { processed: number(im.processed), rows: number(im.rows), created: number(im.created), existing: number(im.existing), refused: number(im.refused_count) }) });
    const state_ = el("strong", { id: "import-state", text: t("import.state." + im.state) });
    const refused = el("ul", { class: "plain", id: "import-refused" },
      ...(im.refused ?? []).map((r) => el("li", { text: t("import.line", { line: number(r.line), reason: r.reason }) })));
    return el("div", { "data-import": im.id }, state_, bar, counts, refused);
  }

  async function upload(file, box, error) {
    error.textContent = "";
    let res;
    try {
      res = await fetch("/api/imports", { method: "POST", headers: { ...auth(), "content-type": "text/csv", accept: "application/json" }, body: file });
    } catch { return (error.textContent = t("error.network")); }
    const body = await res.json().catch(() => null);
    if (res.status !== 202) return (error.textContent = errorText({ status: res.status, body }));
    follow(body, box);
  }

  /** Shows an import and asks again every two seconds until it is done. */
  function follow(im, box) {
    box.replaceChildren(progress(im));
    if (im.state === "done") return;
    setTimeout(async () => {
      if (!box.isConnected) return;
      const answer = await call("GET", `/api/imports/${encodeURIComponent(im.id)}`, undefined, state.token).catch(() => null);
      follow(answer?.status === 200 ? answer.body : im, box);
    }, 2000);
  }

  /** Every page of an export, as one file the browser saves. */
  async function download(name, error, button) {
    error.textContent = "";
    button.disabled = true;
    const parts = [];
    let before = null;
    try {
      do {
        const q = before ? `?before=${before}` : "";
        const res = await fetch(`/api/exports/${name}${q}`, { headers: auth() });
        if (res.status !== 200) throw new Error(errorText({ status: res.status, body: await res.json().catch(() => null) }));
        // Reading as text drops the byte-order mark Excel needs: put back
        // once, with the header once (later pages repeat it).
        const text = await res.text();
        parts.push(parts.length ? text.slice(text.indexOf("\r\n") + 2) : "\uFEFF" + text);
        before = res.headers.get("x-next-before");
      } while (before);
    } catch (e) {
      error.textContent = e.message === "Failed to fetch" ? t("error.network") : e.message;
      return;
    } finally {
      button.disabled = false;
    }
    const link = el("a", { href: URL.createObjectURL(new Blob(parts, { type: "text/csv" })), download: name });
    document.body.append(link);
    link.click();
    link.remove();
  }

  /** A store's platform API: saved only once the platform accepts it,
   *  shown masked; then its past orders brought in, with a progress bar;
   *  and a new store key. */
  function platformCard() {
    const out = el("div", { id: "api-result" });
    const error = el("p", { class: "error", role: "alert", id: "api-error" });
    const input = (id, label, attrs = {}) => el("div", { "data-field": attrs["data-api"] ?? id }, el("label", { for: id, text: label }), el("input", { id, dir: "ltr", ...attrs }), el("p", { class: "error field-error" }));
    const kind = el("select", { id: "api-platform" }, ...["woocommerce", "shopify"].map((p) => el("option", { value: p, text: p })));
    const woo = el("div", { class: "row", id: "api-woo" },
      input("api-url", t("api.url"), { "data-api": "api.url", placeholder: "https://shop.example" }),
      input("api-key", t("api.consumer_key"), { "data-api": "api.consumer_key" }),
      input("api-secret", t("api.consumer_secret"), { "data-api": "api.consumer_secret", type: "password" }));
    const shopify = el("div", { class: "row", id: "api-shopify", hidden: "" },
      input("api-shop", t("api.shop"), { "data-api": "api.shop", placeholder: "name.myshopify.com" }),
      input("api-token", t("api.access_token"), { "data-api": "api.access_token", type: "password" }));
    kind.addEventListener("change", () => { woo.hidden = kind.value !== "woocommerce"; shopify.hidden = kind.value !== "shopify"; });
    const form = el("form", { class: "card", id: "api-form" },
      el("h1", { text: t("api.title") }), el("p", { class: "note", text: t("api.note") }),
      el("div", { class: "row" }, input("api-store", t("setup.store_id"), { required: "", "data-api": "id" }),
        el("div", {}, el("label", { for: "api-platform", text: t("setup.platform") }), kind)),
      woo, shopify, error,
      el("button", { class: "primary", type: "submit", text: t("api.save") }), out);
    const value = (id) => form.querySelector("#" + id).value.trim();
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      form.querySelectorAll(".field-error").forEach((p) => (p.textContent = ""));
      error.textContent = "";
      out.replaceChildren();
      const api = kind.value === "woocommerce"
        ? { url: value("api-url"), consumer_key: value("api-key"), consumer_secret: value("api-secret") }
        : { shop: value("api-shop"), access_token: value("api-token") };
      const store = value("api-store");
      const answer = await call("PUT", `/api/stores/${encodeURIComponent(store)}`, { platform: kind.value, api, verify: true }, state.token).catch(() => null);
      if (!answer) return (error.textContent = t("error.network"));
      if (answer.status !== 200) {
        const named = answer.body?.error?.field && form.querySelector(`[data-field="${answer.body.error.field}"] .field-error`);
        return ((named ?? error).textContent = errorText(answer));
      }
      const shown = Object.entries(answer.body.api ?? {}).map(([k, v]) => `${k}: ${v}`).join(" · ");
      out.append(el("p", { id: "api-saved", text: `${t("api.verified")} ${shown}` }), backfillForm(store));
    });
    return form;
  }

  function backfillForm(store) {
    const since = el("input", { id: "backfill-since", type: "date", dir: "ltr", required: "" });
    const award = el("input", { id: "backfill-award", type: "checkbox" });
    const box = el("div", { id: "backfill-box" });
    const error = el("p", { class: "error", role: "alert", id: "backfill-error" });
    const form = el("form", { id: "backfill-form" },
      el("h2", { text: t("backfill.title") }), el("p", { class: "note", text: t("backfill.note") }),
      el("label", { for: "backfill-since", text: t("backfill.since") }), since,
      el("label", {}, award, " ", t("backfill.award")), error,
      el("button", { type: "submit", text: t("backfill.start") }), box);
    const path = `/api/stores/${encodeURIComponent(store)}/backfill`;
    const show = (job) => {
      box.replaceChildren(
        el("strong", { id: "backfill-state", text: t("backfill.state." + job.state) }),
        el("progress", { id: "backfill-progress", max: "1", ...(job.progress == null ? {} : { value: String(job.progress) }) }),
        el("p", { class: "note", id: "backfill-counts", text: t("backfill.counts", { orders: number(job.orders), counted: number(job.counted), duplicates: number(job.duplicates), skipped: number(job.skipped) }) }),
        job.error ? el("p", { class: "error", text: job.error }) : null);
      if (job.state !== "running") return;
      setTimeout(async () => {
        if (!box.isConnected) return;
        const again = await call("GET", path, undefined, state.token).catch(() => null);
        show(again?.status === 200 ? again.body : job);
      }, 2000);
    };
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      error.textContent = "";
      const answer = await call("POST", path, { since: since.value, award_points: award.checked }, state.token).catch(() => null);
      if (!answer) return (error.textContent = t("error.network"));
      if (answer.status !== 202) return (error.textContent = errorText(answer));
      show(answer.body);
    });
    return form;
  }

  async function transferView() {
    const error = el("p", { class: "error", role: "alert", id: "import-error" });
    const box = el("div", { id: "import-box" });
    const file = el("input", { id: "import-file", type: "file", accept: ".csv,text/csv", required: "" });
    const form = el("form", { id: "import-form" },
      el("label", { for: "import-file", text: t("import.file") }), file,
      el("p", { class: "note", text: t("import.columns") }),
      el("button", { class: "primary", type: "submit", text: t("import.submit") }));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      if (file.files[0]) upload(file.files[0], box, error);
    });
    const exportError = el("p", { class: "error", role: "alert", id: "export-error" });
    const exportButton = (name, label) => {
      const b = el("button", { type: "button", id: `export-${name.split(".")[0]}`, text: label });
      b.addEventListener("click", () => download(name, exportError, b));
      return b;
    };
    const past = el("ul", { class: "plain", id: "imports" });
    main.replaceChildren(
      platformCard(),
      el("section", { class: "card" }, el("h1", { text: t("import.title") }), form, error, box, el("h2", { text: t("import.past") }), past),
      el("section", { class: "card" }, el("h1", { text: t("export.title") }), el("p", { class: "note", text: t("export.note") }),
        el("div", { class: "row" }, exportButton("members.csv", t("export.members")), exportButton("ledger.csv", t("export.ledger"))), exportError));
    const list = await call("GET", "/api/imports", undefined, state.token).catch(() => null);
    if (list?.status === 200) {
      past.append(...list.body.imports.map((im) => el("li", { text: `${dateTime(im.created_at, state.settings.timezone)} · ${t("import.state." + im.state)} · ${t("import.counts", { processed: number(im.processed), rows: number(im.rows), created: number(im.created), existing: number(im.existing), refused: number(im.refused_count) })}` })));
    }
  }

  return { transfer: transferView };
}

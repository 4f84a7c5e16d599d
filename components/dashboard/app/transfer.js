// Bringing members in from a CSV file (with the import's progress bar and
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

// The club's stores: each one's currency, auto-enrolment and platform API
// credentials, edited under If-Match, and a new store key. Stored secrets
// never come back to the page: a secret field left blank sends back the
// masked form the API showed, which the API reads as "keep the saved one".
import { call, el, errorText, field, showError, t } from "./i18n.js";

const CURRENCIES = ["IRR", "IRT", "IRHR", "IRHT"];
const SECRETS = { woocommerce: ["url", "consumer_key", "consumer_secret"], shopify: ["shop", "access_token"] };
const MASKED = ["consumer_key", "consumer_secret", "access_token"];

/** The views, for the admin app's router. */
export function stores({ main, state }) {
  const api = (method, path, body, headers) => call(method, path, body, state.token, headers).catch(() => null);
  const path = (id) => `/api/stores/${encodeURIComponent(id)}`;

  async function list() {
    const error = el("p", { class: "error", role: "alert" });
    const items = el("ul", { class: "plain", id: "stores" });
    main.replaceChildren(el("section", { class: "card" }, el("h1", { text: t("stores.title") }), error, items), el("div", { id: "store-edit" }));
    const answer = await api("GET", "/api/stores");
    if (answer?.status !== 200) return (error.textContent = answer ? errorText(answer) : t("error.network"));
    items.replaceChildren(...answer.body.stores.map((s) => el("li", { "data-id": s.id },
      el("strong", { text: s.name }), ` · ${s.id} · ${s.platform} · ${s.currency}`,
      el("span", { class: "meta", text: `${t(s.auto_enroll ? "stores.enrolls" : "stores.noEnroll")} · ${t(s.api ? "stores.hasApi" : "stores.noApi")}` }),
      el("button", { type: "button", class: "edit", text: t("stores.edit"), onclick: () => open(s.id) }))));
    if (!items.children.length) items.append(el("li", { class: "note", text: t("stores.none") }));
  }

  async function open(id, notice) {
    const box = document.getElementById("store-edit");
    const answer = await api("GET", path(id));
    if (answer?.status !== 200) return box.replaceChildren(el("p", { class: "error", role: "alert", text: answer ? errorText(answer) : t("error.network") }));
    box.replaceChildren(editor(answer.body, answer.etag), rotation(id));
    if (notice) box.querySelector("#store-form [role=status]").textContent = notice;
  }

  function editor(s, tag) {
    const currency = el("select", { id: "store-currency", dir: "ltr" }, ...[...new Set([s.currency, ...CURRENCIES])].map((c) => el("option", { value: c, text: c })));
    currency.value = s.currency;
    const enrol = el("input", { type: "checkbox", id: "store-auto-enroll", ...(s.auto_enroll ? { checked: "" } : {}) });
    const names = SECRETS[s.platform] ?? [];
    // A saved secret is never put in its field: blank keeps it.
    const inputs = names.map((k) => field(`store-api-${k}`, t("api." + k), MASKED.includes(k) ? "" : s.api?.[k],
      { dir: "ltr", "data-api": "api." + k, autocomplete: "off", ...(MASKED.includes(k) ? { type: "password", ...(s.api ? { placeholder: t("stores.unchanged") } : {}) } : {}) }));
    const remove = el("input", { type: "checkbox", id: "store-api-remove" });
    const verify = el("input", { type: "checkbox", id: "store-verify", checked: "" });
    // The store's own pages, where the widget may be embedded, one origin a line.
    const origins = el("textarea", { id: "store-origins", dir: "ltr", rows: "2", placeholder: "https://shop.example" });
    origins.value = (s.origins ?? []).join("\n");
    const snippet = `<script src="${location.origin}/widget.js" data-store="${s.id}" async></script>`;
    const form = el("form", { class: "card", id: "store-form", "data-id": s.id },
      el("h2", { text: t("stores.editing", { name: s.name }) }),
      el("div", { class: "row" },
        field("store-name", t("setup.store_name"), s.name, { required: "", "data-api": "name" }),
        el("div", { "data-field": "currency" }, el("label", { for: "store-currency", text: t("setup.currency") }), currency, el("p", { class: "error field-error" }))),
      el("label", { class: "check" }, enrol, " ", t("stores.autoEnroll")),
      el("div", { "data-field": "origins" }, el("label", { for: "store-origins", text: t("stores.origins") }), origins, el("p", { class: "error field-error" })),
      el("p", { class: "note", text: t("stores.snippet") }), el("code", { id: "store-snippet", dir: "ltr", text: snippet }),
      ...(names.length ? [el("h3", { text: t("api.title") }), el("div", { class: "row" }, ...inputs),
        el("label", { class: "check" }, verify, " ", t("stores.verify")),
        ...(s.api ? [el("label", { class: "check" }, remove, " ", t("stores.removeApi"))] : [])] : []),
      el("div", { "data-field": "api" }, el("p", { class: "error field-error" })),
      el("p", { class: "note", role: "status" }),
      el("button", { class: "primary", type: "submit", text: t("save") }));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const note = form.querySelector("[role=status]");
      form.querySelectorAll(".field-error").forEach((p) => (p.textContent = ""));
      note.textContent = "";
      const v = (k) => form.querySelector(`#store-api-${k}`).value.trim();
      const body = { name: form.querySelector("#store-name").value.trim(), currency: currency.value, auto_enroll: enrol.checked, origins: origins.value.split("\n").map((o) => o.trim()).filter(Boolean) };
      if (remove.checked) body.api = null;
      else if (names.some(v) || s.api) {
        body.api = Object.fromEntries(names.map((k) => [k, v(k) || s.api?.[k] || ""]));
        body.verify = verify.checked;
      }
      const answer = await api("PUT", path(s.id), body, { "if-match": tag });
      if (!answer) return (note.textContent = t("error.network"));
      if (answer.status === 412) return open(s.id, t("stores.conflict"));
      if (answer.status !== 200) return showError(form, answer, note);
      list();
      open(s.id, t(answer.body.verified ? "api.verified" : "saved"));
    });
    return form;
  }

  /** A new store key: the old one stops working at once, so the owner is
   *  asked first; the new one is shown this once. */
  function rotation(id) {
    const out = el("div", { id: "rotate-result" });
    const button = el("button", { type: "button", id: "rotate", text: t("stores.rotate") });
    const confirm = el("button", { type: "button", id: "rotate-confirm", class: "danger", hidden: "", text: t("stores.rotateConfirm") });
    button.addEventListener("click", () => { confirm.hidden = false; });
    confirm.addEventListener("click", async () => {
      confirm.hidden = true;
      const answer = await api("POST", `${path(id)}/rotate-key`);
      if (answer?.status !== 200) return out.replaceChildren(el("p", { class: "error", role: "alert", text: answer ? errorText(answer) : t("error.network") }));
      const key = answer.body.api_key;
      const copied = el("span", { class: "note", role: "status" });
      out.replaceChildren(el("p", { class: "error", text: t("stores.keyOnce") }), el("code", { id: "new-key", class: "phone", text: key }), " ",
        el("button", { type: "button", id: "copy-key", text: t("stores.copy"), onclick: () => navigator.clipboard.writeText(key).then(() => (copied.textContent = t("stores.copied")), () => {}) }), copied);
    });
    return el("section", { class: "card", id: "store-key" }, el("h2", { text: t("stores.key") }), el("p", { class: "note", text: t("stores.keyNote") }), button, confirm, out);
  }

  return { stores: list };
}

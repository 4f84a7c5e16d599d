// Bonus rules: extra points for a window of time, a member tag or a
// product category, and how the rules that apply stack. Each write names
// the version it read (`If-Match`); a rule made new is refused here when
// its id is taken, since the API would replace that rule.
import { call, confirmStep, dateTime, el, errorText, field, number, showError, t, zonedInstant } from "./i18n.js";

const KINDS = ["window", "tag", "category"];

/** An instant as a `datetime-local` value on `timeZone`'s clock. */
function wallClock(iso, timeZone) {
  const p = Object.fromEntries(new Intl.DateTimeFormat("en-CA", { timeZone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" })
    .formatToParts(new Date(iso)).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
}

/** The views, for the admin app's router. */
export function bonus({ main, state }) {
  const api = (method, path, body, tag) => call(method, path, body, state.token, tag ? { "if-match": tag } : {}).catch(() => null);
  const path = (id) => `/api/bonus-rules/${encodeURIComponent(id)}`;
  const zone = () => state.settings.timezone;

  async function page(notice) {
    const error = el("p", { class: "error", role: "alert", id: "bonus-error" });
    const list = el("ul", { class: "plain", id: "bonus-rules" });
    const editor = el("div", { id: "bonus-editor" });
    main.replaceChildren(el("section", { class: "card" }, el("h1", { text: t("bonus.title") }), el("p", { class: "note", text: t("bonus.note") }), error, list), editor);
    if (notice) error.textContent = notice;
    const answer = await api("GET", "/api/bonus-rules");
    if (answer?.status !== 200) return (error.textContent = answer ? errorText(answer) : t("error.network"));
    const all = { ...answer.body, tag: answer.etag };
    list.replaceChildren(...all.rules.map((r) => el("li", { "data-id": r.id, "data-active": String(r.active) },
      el("strong", { text: r.id }), ` · ${t("bonus.kind." + r.kind)} · ×${number(r.multiplier_pct / 100)}${r.active ? "" : " · " + t("bonus.inactive")}`,
      el("span", { class: "meta", text: r.kind === "window" ? `${dateTime(r.starts_at, zone())} → ${dateTime(r.ends_at, zone())}` : r[r.kind] }),
      el("div", { class: "row" },
        el("button", { type: "button", class: "edit", text: t("stores.edit"), onclick: () => edit(r.id, editor, all) }),
        confirmStep(el("button", { type: "button", class: "remove danger", text: t("tiers.remove") }), () => t("bonus.removeConfirm", { id: r.id }), () => remove(r.id))))));
    if (!all.rules.length) list.append(el("li", { class: "note", text: t("bonus.none") }));
    editor.replaceChildren(form(null, null, all), stacking(all));
  }

  /** Loads one rule with its tag and puts it in the form. */
  async function edit(id, editor, all, notice) {
    const answer = await api("GET", path(id));
    if (answer?.status !== 200) return page(answer ? errorText(answer) : t("error.network"));
    editor.replaceChildren(form(answer.body, answer.etag, all), stacking(all));
    if (notice) editor.querySelector("#bonus-form [role=status]").textContent = notice;
  }

  async function remove(id) {
    const current = await api("GET", path(id));
    const answer = current?.status === 200 ? await api("DELETE", path(id), undefined, current.etag) : current;
    page(answer?.status === 204 ? "" : answer ? errorText(answer) : t("error.network"));
  }

  function form(rule, tag, all) {
    const r = rule ?? { id: "", kind: "tag", multiplier_pct: 200, active: true };
    const kind = el("select", { id: "bonus-kind", ...(rule ? { disabled: "" } : {}) }, ...KINDS.map((k) => el("option", { value: k, text: t("bonus.kind." + k) })));
    kind.value = r.kind;
    const active = el("input", { type: "checkbox", id: "bonus-active", ...(r.active ? { checked: "" } : {}) });
    const when = (id, iso) => field(id, t(id === "bonus-starts" ? "bonus.starts" : "bonus.ends", { zone: zone() }), iso ? wallClock(iso, zone()) : "", { type: "datetime-local", "data-api": id === "bonus-starts" ? "starts_at" : "ends_at" });
    const parts = {
      window: el("div", { class: "row" }, when("bonus-starts", r.starts_at), when("bonus-ends", r.ends_at)),
      tag: field("bonus-tag", t("bonus.tag"), r.tag, { "data-api": "tag" }),
      category: field("bonus-category", t("bonus.category"), r.category, { "data-api": "category" }),
    };
    const show = () => Object.entries(parts).forEach(([k, node]) => (node.hidden = k !== kind.value));
    kind.addEventListener("change", show);
    show();
    const f = el("form", { class: "card", id: "bonus-form", ...(rule ? { "data-id": rule.id } : {}) },
      el("h2", { text: rule ? t("bonus.editing", { id: rule.id }) : t("bonus.new") }),
      el("div", { class: "row" },
        field("bonus-id", t("reward.id"), r.id, { dir: "ltr", required: "", pattern: "[A-Za-z0-9_-]{1,64}", "data-api": "id", ...(rule ? { readonly: "" } : {}) }),
        el("div", {}, el("label", { for: "bonus-kind", text: t("reward.kind") }), kind),
        field("bonus-multiplier", t("bonus.multiplier"), r.multiplier_pct, { type: "number", dir: "ltr", "data-api": "multiplier_pct" })),
      parts.window, parts.tag, parts.category,
      el("label", { class: "check" }, active, " ", t("automation.enabled")),
      el("p", { class: "note", role: "status" }),
      el("button", { class: "primary", type: "submit", text: t("save") }),
      ...(rule ? [" ", el("button", { type: "button", text: t("confirm.no"), onclick: () => page() })] : []));
    f.addEventListener("submit", async (e) => {
      e.preventDefault();
      const note = f.querySelector("[role=status]");
      f.querySelectorAll(".field-error").forEach((p) => (p.textContent = ""));
      note.textContent = "";
      const v = (id) => f.querySelector("#" + id).value.trim();
      const id = v("bonus-id");
      if (!rule && all.rules.some((x) => x.id === id)) return (f.querySelector("[data-field=id] .field-error").textContent = t("bonus.taken"));
      const body = { kind: kind.value, multiplier_pct: Number(v("bonus-multiplier")), active: active.checked };
      if (kind.value === "window") Object.assign(body, { starts_at: v("bonus-starts") ? zonedInstant(v("bonus-starts"), zone()) : null, ends_at: v("bonus-ends") ? zonedInstant(v("bonus-ends"), zone()) : null });
      else body[kind.value] = v("bonus-" + kind.value);
      const answer = await api("PUT", path(id), body, tag);
      if (!answer) return (note.textContent = t("error.network"));
      if (answer.status === 412) return edit(id, f.parentNode, all, t("stores.conflict"));
      if (answer.status !== 200) return showError(f, answer, note);
      page();
    });
    return f;
  }

  function stacking(all) {
    const select = el("select", { id: "bonus-stacking" }, ...["multiply", "add"].map((s) => el("option", { value: s, text: t("bonus.stacking." + s) })));
    select.value = all.stacking;
    const note = el("p", { class: "note", role: "status" });
    const f = el("form", { class: "card", id: "bonus-stack" },
      el("label", { for: "bonus-stacking", text: t("bonus.stacking") }), select, note,
      el("button", { class: "primary", type: "submit", text: t("save") }));
    f.addEventListener("submit", async (e) => {
      e.preventDefault();
      const answer = await api("PUT", "/api/bonus-rules", { stacking: select.value }, all.tag);
      if (answer?.status === 412) return page(t("stores.conflict"));
      note.textContent = answer?.status === 200 ? t("saved") : answer ? errorText(answer) : t("error.network");
    });
    return f;
  }

  return { bonus: page };
}

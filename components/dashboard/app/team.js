// The club's people and what reaches and changes the club: credentials
// for staff with a role (the token shown once), the audit log of every
// admin write, and the replies members text to the club's line.
import { call, confirmStep, dateTime, el, errorText, field, read, showError, t } from "./i18n.js";

const ROLES = ["staff", "analyst", "owner"];
const ACTIONS = ["opted_out", "opted_in", "feedback_score", "unknown_sender", "recorded", "join_code_sent", "rate_limited"];

/** The views, for the admin app's router. */
export function team({ main, state }) {
  const zone = () => state.settings.timezone;

  async function credentials(shown) {
    const error = el("p", { class: "error", role: "alert", id: "team-error" });
    const list = el("ul", { class: "plain", id: "credentials" });
    const role = el("select", { id: "credential-role" }, ...ROLES.map((r) => el("option", { value: r, text: t("team.role." + r) })));
    const form = el("form", { class: "card", id: "credential-form" }, el("h2", { text: t("team.new") }),
      field("credential-name", t("team.name"), "", { required: "", maxlength: "60", "data-api": "name" }),
      el("div", { "data-field": "role" }, el("label", { for: "credential-role", text: t("team.roleLabel") }), role, el("p", { class: "error field-error" })),
      el("p", { class: "note", text: t("team.roles") }),
      el("p", { class: "error", role: "alert" }),
      el("button", { class: "primary", type: "submit", text: t("team.create") }));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const answer = await call("POST", "/api/credentials", { name: form.querySelector("#credential-name").value.trim(), role: role.value }, state.token).catch(() => null);
      if (answer?.status === 201) return credentials(answer.body);
      showError(form, answer ?? { body: { error: { message: t("error.network") } } }, form.querySelector("[role=alert]"));
    });
    const once = shown && el("section", { class: "card", id: "credential-token", role: "status" },
      el("p", { text: t("team.tokenOnce", { name: shown.name }) }),
      el("code", { class: "code", dir: "ltr", id: "new-token", text: shown.token }),
      el("button", { type: "button", text: t("stores.copy"), onclick: () => navigator.clipboard?.writeText(shown.token) }));
    main.replaceChildren(...[once, el("section", { class: "card" }, el("h1", { text: t("team.title") }), error, list), form].filter(Boolean));
    const body = await read("/api/credentials", state.token, error);
    if (!body) return;
    list.replaceChildren(...body.credentials.map((c) => el("li", { "data-id": c.id },
      el("strong", { text: c.name }), " · " + t("team.role." + c.role),
      el("span", { class: "meta", text: dateTime(c.created_at, zone()) }),
      confirmStep(el("button", { type: "button", class: "revoke danger", text: t("team.revoke") }), () => t("team.revokeConfirm", { name: c.name }), async () => {
        const answer = await call("DELETE", `/api/credentials/${encodeURIComponent(c.id)}`, undefined, state.token).catch(() => null);
        if (answer?.status === 204) return credentials();
        error.textContent = answer ? errorText(answer) : t("error.network");
      }))));
    if (!body.credentials.length) list.append(el("li", { class: "note", text: t("team.none") }));
  }

  /** A paged list: `load(before)` answers `{items, next}`; `row` draws one. */
  function paged(id, load, row) {
    const list = el("ul", { class: "plain", id });
    const error = el("p", { class: "error", role: "alert" });
    const more = el("button", { type: "button", class: "more", text: t("members.more"), hidden: "" });
    let before = null;
    async function next() {
      const page = await load(before, error);
      if (!page) return;
      list.append(...page.items.map(row));
      if (!list.children.length) list.append(el("li", { class: "note", text: t("list.empty") }));
      before = page.next;
      more.hidden = before == null;
    }
    more.onclick = next;
    next();
    return [error, list, more];
  }

  function audit() {
    const change = (c) => el("li", { class: "change" }, el("code", { dir: "ltr", text: c.field }), ": ",
      el("bdi", { dir: "ltr", text: JSON.stringify(c.before) }), " → ", el("bdi", { dir: "ltr", text: JSON.stringify(c.after) }));
    const row = (e) => el("li", { "data-seq": String(e.seq) },
      el("strong", { text: e.actor.name }), ` · ${t("team.role." + e.actor.role)} · `, el("code", { dir: "ltr", text: `${e.method} ${e.route}` }),
      el("span", { class: "meta", text: dateTime(e.at, zone()) }),
      el("ul", { class: "changes" }, ...e.changes.map(change)),
      e.more_changes ? el("span", { class: "meta", text: t("audit.more", { n: e.more_changes }) }) : null);
    const load = async (before, error) => {
      const body = await read(`/api/audit?limit=50${before != null ? `&before=${before}` : ""}`, state.token, error);
      return body && { items: body.entries, next: body.next_before };
    };
    main.replaceChildren(el("section", { class: "card" }, el("h1", { text: t("audit.title") }), el("p", { class: "note", text: t("audit.note") }), ...paged("audit", load, row)));
  }

  function replies(action) {
    const filter = el("select", { id: "reply-action" }, el("option", { value: "", text: t("replies.all") }), ...ACTIONS.map((a) => el("option", { value: a, text: t("replies.action." + a) })));
    filter.value = action ?? "";
    filter.onchange = () => { location.hash = filter.value ? `#replies/${filter.value}` : "#replies"; };
    const row = (r) => el("li", { "data-action": r.action },
      el("p", { class: "text", text: r.text }),
      el("span", { class: "meta" }, el("bdi", { dir: "ltr", text: r.from }), " · ", dateTime(r.at, zone()), " · ", t("replies.action." + r.action),
        r.member_id ? el("a", { href: `#member/${encodeURIComponent(r.member_id)}`, text: " · " + t("replies.member") }) : null));
    const load = async (before, error) => {
      const query = new URLSearchParams({ limit: "30", ...(action ? { action } : {}), ...(before != null ? { before: String(before) } : {}) });
      const body = await read(`/api/replies?${query}`, state.token, error);
      return body && { items: body.replies, next: body.next_before };
    };
    main.replaceChildren(el("section", { class: "card" }, el("h1", { text: t("replies.title") }),
      el("label", { for: "reply-action", text: t("replies.filter") }), filter, ...paged("replies", load, row)));
  }

  return { team: () => credentials(), audit, replies };
}

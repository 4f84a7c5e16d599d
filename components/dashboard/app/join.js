// A customer joins: phone, name, the consent text, then the code texted to
// them (the club's double opt-in). The answers never say whether a phone
// is already a member.
import { apply, call, el, errorText, memberPage, t } from "./i18n.js";

const main = document.getElementById("main");
// A member's referral link: /join?ref=CODE.
const referral = new URLSearchParams(location.search).get("ref")?.trim() || "";
let step = { phone: "", name: "", birthday: "", sent: false, done: false, message: "" };

function render() {
  document.title = t("join.title");
  document.getElementById("title").textContent = t("join.title");
  if (step.done) {
    return main.replaceChildren(el("section", { class: "card", id: "joined" },
      el("p", { text: t("join.done") }),
      el("a", { id: "to-me", class: "button", href: memberPage("me"), text: t("join.toMe") }),
      el("button", { type: "button", text: t("join.again"), onclick: () => { step = { phone: "", name: "", birthday: "", sent: false, done: false, message: "" }; render(); } })));
  }
  const error = el("p", { class: "error", id: "join-error", role: "alert", text: step.message });
  if (!step.sent) {
    const phone = el("input", { id: "phone", type: "tel", inputmode: "tel", dir: "ltr", autocomplete: "tel", required: "", value: step.phone });
    const name = el("input", { id: "name", autocomplete: "name", value: step.name });
    const birthday = el("input", { id: "birthday", dir: "ltr", inputmode: "numeric", placeholder: "1370/06/21", value: step.birthday });
    const form = el("form", { class: "card", id: "join" },
      el("label", { for: "phone", text: t("join.phone") }), phone,
      el("label", { for: "name", text: t("join.name") }), name,
      el("label", { for: "birthday", text: t("join.birthday") }), birthday,
      el("p", { class: "note", id: "consent", text: t("join.consent") }), error,
      el("button", { class: "primary", type: "submit", text: t("join.send") }));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      Object.assign(step, { phone: phone.value.trim(), name: name.value.trim(), birthday: birthday.value.trim() });
      const body = { phone: step.phone };
      if (step.name) body.name = step.name;
      if (step.birthday) body.birthday = step.birthday.replaceAll("/", "-");
      if (referral) body.referral_code = referral;
      const answer = await call("POST", "/api/join", body).catch(() => null);
      if (!answer) step.message = t("error.network");
      else if (answer.status === 202) Object.assign(step, { sent: true, message: "" });
      else step.message = errorText(answer);
      render();
    });
    return main.replaceChildren(form);
  }
  const code = el("input", { id: "code", inputmode: "numeric", autocomplete: "one-time-code", dir: "ltr", required: "" });
  const form = el("form", { class: "card", id: "verify" },
    el("p", { class: "note", text: t("join.sent") }),
    el("label", { for: "code", text: t("join.code") }), code, error,
    el("button", { class: "primary", type: "submit", text: t("join.verify") }));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const answer = await call("POST", "/api/join/verify", { phone: step.phone, code: code.value.trim() }).catch(() => null);
    if (!answer) step.message = t("error.network");
    else if (answer.status === 200 || answer.status === 201) Object.assign(step, { done: true, message: "" });
    else step.message = errorText(answer);
    render();
  });
  main.replaceChildren(form);
  code.focus();
}

apply(render);

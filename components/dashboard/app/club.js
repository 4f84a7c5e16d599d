// The club's rules kept in its settings: the marketing guards and the
// points' timings, the tiers, and the holidays. Each page saves only the
// keys it shows, as a merge patch onto the version it read.
import { calendarDay, call, DAY, digits, el, field, fromJalali, jalaliMonthDays, jalaliMonths, jalaliText, showError, t } from "./i18n.js";

// The holidays every club keeps (`FIXED_HOLIDAYS` in vafa-core's guard),
// as Jalali month and day.
const FIXED_HOLIDAYS = [[1, 1], [1, 2], [1, 3], [1, 4], [1, 12], [1, 13], [3, 14], [3, 15], [11, 22], [12, 29]];

// The lunar holidays of Iran's official calendar, by Hijri month and day
// (0: the month's last day).
const LUNAR = [["tasua", 1, 9], ["ashura", 1, 10], ["arbaeen", 2, 20], ["prophet_death", 2, 28], ["reza", 2, 0],
  ["askari", 3, 8], ["prophet_birth", 3, 17], ["fatima", 6, 3], ["ali_birth", 7, 13], ["mabath", 7, 27], ["shaban", 8, 15],
  ["ali_death", 9, 21], ["fitr", 10, 1], ["fitr2", 10, 2], ["sadiq", 10, 25], ["adha", 12, 10], ["ghadir", 12, 18]];

/** Noon UTC of a holiday's day. */
const dayOf = (h) => {
  const [y, m, d] = h.date.split("-").map(Number);
  return h.calendar === "jalali" ? fromJalali(y, m, d) : Date.UTC(y, m - 1, d, 12);
};

/** The lunar holidays in Jalali year `y`, as Jalali days with their key.
 *  Iran's calendar follows the sighting of the moon; the tabular Hijri
 *  calendar (`islamic-civil`) came within a day of it in 1404 (Ashura on
 *  15 Tir), so each date is offered for the owner to check. */
function lunarHolidays(y) {
  const found = [];
  const end = fromJalali(y + 1, 1, 1);
  let hijri = calendarDay(fromJalali(y, 1, 1), "islamic-civil");
  for (let ms = fromJalali(y, 1, 1); ms < end; ms += DAY) {
    const next = calendarDay(ms + DAY, "islamic-civil");
    for (const [key, m, d] of LUNAR) {
      if (hijri.m === m && (hijri.d === d || (d === 0 && next.m !== m))) found.push({ key, ...calendarDay(ms, "persian") });
    }
    hijri = next;
  }
  return found;
}

/** PATCHes `body` onto the settings as this page read them (`If-Match`).
 *  When someone else saved in between, nothing is written: their values
 *  become the page's, `rerender` shows them and the form's status says so. */
export async function saveSettings(state, form, body, rerender) {
  const note = form.querySelector("[role=status]");
  form.querySelectorAll(".field-error").forEach((p) => (p.textContent = ""));
  note.textContent = "";
  const answer = await call("PATCH", "/api/settings", body, state.token, { "if-match": state.settingsTag }).catch(() => null);
  if (!answer) return (note.textContent = t("error.network"));
  if (answer.status === 412 && answer.body?.current) {
    Object.assign(state, { settings: answer.body.current, settingsTag: answer.etag });
    rerender();
    document.querySelector(`#${form.id} [role=status]`).textContent = t("setup.conflict");
    return;
  }
  if (answer.status !== 200) return showError(form, answer, note);
  Object.assign(state, { settings: answer.body, settingsTag: answer.etag });
  note.textContent = t("setup.saved");
}

/** The views, for the admin app's router. */
export function club({ main, state }) {
  const status = () => el("p", { class: "note", role: "status" });
  const whole = (attrs) => ({ type: "number", min: "0", step: "1", dir: "ltr", ...attrs });

  function rules() {
    const s = state.settings;
    const form = el("form", { class: "card", id: "rules" },
      el("h1", { text: t("rules.title") }),
      el("h2", { text: t("rules.cap") }),
      el("div", { class: "row" },
        field("cap-day", t("rules.per_day"), s.frequency_cap.per_day, whole({ "data-api": "frequency_cap" })),
        field("cap-week", t("rules.per_week"), s.frequency_cap.per_week, whole({ "data-api": "frequency_cap" }))),
      el("h2", { text: t("rules.quiet") }),
      el("div", { class: "row" },
        field("quiet-start", t("setup.quiet_start"), s.quiet_hours.start, { dir: "ltr", placeholder: "09:00", "data-api": "quiet_hours" }),
        field("quiet-end", t("setup.quiet_end"), s.quiet_hours.end, { dir: "ltr", placeholder: "21:00", "data-api": "quiet_hours" })),
      el("h2", { text: t("rules.points") }),
      el("div", { class: "row" },
        field("points_expiry_months", t("rules.expiry_months"), s.points_expiry_months, whole()),
        field("expiry_reminder_days", t("rules.reminder_days"), s.expiry_reminder_days, whole()),
        field("pending_days", t("rules.pending_days"), s.pending_days, whole())),
      el("h2", { text: t("rules.referral") }),
      el("div", { class: "row" },
        field("referrer", t("rules.referrer"), s.referral_points.referrer, whole({ "data-api": "referral_points" })),
        field("referee", t("rules.referee"), s.referral_points.referee, whole({ "data-api": "referral_points" }))),
      status(),
      el("button", { class: "primary", type: "submit", text: t("save") }));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const v = (id) => form.querySelector("#" + id).value.trim();
      const n = (id) => Number(v(id));
      saveSettings(state, form, {
        frequency_cap: { per_day: n("cap-day"), per_week: n("cap-week") },
        quiet_hours: { start: v("quiet-start"), end: v("quiet-end") },
        points_expiry_months: n("points_expiry_months"),
        expiry_reminder_days: n("expiry_reminder_days"),
        pending_days: n("pending_days"),
        referral_points: { referrer: n("referrer"), referee: n("referee") },
      }, rules);
    });
    main.replaceChildren(form);
  }

  function tiers() {
    const s = state.settings;
    const rows = s.tiers.map((tier) => ({ ...tier }));
    const list = el("ol", { class: "plain", id: "tier-list" });
    // Reads the inputs back before the rows move, so nothing typed is lost.
    const read = () => list.querySelectorAll("li").forEach((li, i) => {
      const v = (name) => li.querySelector(`[name=${name}]`).value.trim();
      rows[i] = { name: v("name"), min_spend: Number(v("min_spend")), multiplier_pct: Number(v("multiplier_pct")) };
    });
    const edit = (change) => () => { read(); change(); draw(); };
    const input = (i, name, label, value, attrs) => {
      const id = `tier-${i}-${name}`;
      return el("div", {}, el("label", { for: id, text: label }), el("input", { id, name, value: String(value), dir: "ltr", required: "", ...attrs }));
    };
    const off = (disabled) => (disabled ? { disabled: "" } : {});
    const row = (r, i) => el("li", { "data-tier": r.name },
      el("div", { class: "row" },
        input(i, "name", t("tiers.name"), r.name, { pattern: "[a-z0-9_]{1,32}" }),
        input(i, "min_spend", t("tiers.min_spend", { currency: s.currency }), r.min_spend, { type: "number", min: "0" }),
        input(i, "multiplier_pct", t("tiers.multiplier"), r.multiplier_pct, { type: "number", min: "100", max: "1000" })),
      el("div", { class: "row" },
        el("button", { type: "button", class: "up", text: t("tiers.up"), ...off(i === 0), onclick: edit(() => rows.splice(i - 1, 0, ...rows.splice(i, 1))) }),
        el("button", { type: "button", class: "down", text: t("tiers.down"), ...off(i === rows.length - 1), onclick: edit(() => rows.splice(i + 1, 0, ...rows.splice(i, 1))) }),
        el("button", { type: "button", class: "remove", text: t("tiers.remove"), ...off(rows.length === 1), onclick: edit(() => rows.splice(i, 1)) })));
    const draw = () => list.replaceChildren(...rows.map(row));
    const form = el("form", { class: "card", id: "tiers" },
      el("h1", { text: t("tiers.title") }),
      el("p", { class: "note", text: t("tiers.note") }),
      list,
      el("div", { "data-field": "tiers" }, el("p", { class: "error field-error" })),
      el("button", { type: "button", id: "tier-add", text: t("tiers.add"), onclick: edit(() => rows.push({ name: "", min_spend: (rows.at(-1)?.min_spend ?? 0) + 1, multiplier_pct: 100 })) }),
      status(),
      el("button", { class: "primary", type: "submit", text: t("save") }));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      read();
      saveSettings(state, form, { tiers: rows }, tiers);
    });
    draw();
    main.replaceChildren(form);
  }

  /** Year, month and day selects of the Jalali calendar, set to `day`;
   *  `value()` is the holiday they name. */
  function picker(id, day, years) {
    const select = (part, label, options) => el("select", { id: `${id}-${part}`, "aria-label": label },
      ...options.map(([value, text]) => el("option", { value: String(value), text })));
    const year = select("y", t("holidays.year"), [...new Set([...years, day.y])].sort().map((y) => [y, digits(y)]));
    const month = select("m", t("holidays.month"), jalaliMonths().map((name, i) => [i + 1, name]));
    const days = select("d", t("holidays.day"), []);
    // The day list follows the month (and Esfand the leap year), keeping the day chosen where it can.
    const fill = () => {
      const n = jalaliMonthDays(Number(year.value), Number(month.value));
      const keep = Math.min(Number(days.value || day.d), n);
      days.replaceChildren(...Array.from({ length: n }, (_, i) => el("option", { value: String(i + 1), text: digits(i + 1) })));
      days.value = String(keep);
    };
    year.value = String(day.y);
    month.value = String(day.m);
    year.addEventListener("change", fill);
    month.addEventListener("change", fill);
    fill();
    const pad = (select, width) => select.value.padStart(width, "0");
    return { node: el("span", { class: "picker" }, year, month, days), value: () => ({ date: `${pad(year, 4)}-${pad(month, 2)}-${pad(days, 2)}`, calendar: "jalali" }) };
  }

  function holidays() {
    const chosen = state.settings.holidays.map((h) => ({ ...h }));
    const today = calendarDay(Date.now(), "persian");
    // From 1400 on, so a holiday of a past year can still be read and corrected.
    const years = Array.from({ length: today.y + 6 - 1400 }, (_, i) => 1400 + i);
    const list = el("ul", { class: "plain", id: "holiday-list" });
    const draw = () => {
      chosen.sort((a, b) => dayOf(a) - dayOf(b));
      list.replaceChildren(...chosen.map((h, i) => el("li", { "data-date": h.date, "data-calendar": h.calendar },
        el("span", { text: jalaliText(calendarDay(dayOf(h), "persian")) }), " ",
        el("button", { type: "button", class: "remove", text: t("tiers.remove"), onclick: () => { chosen.splice(i, 1); draw(); } }))));
      if (!chosen.length) list.append(el("li", { class: "note", text: t("holidays.none") }));
    };
    const add = (h) => {
      if (!chosen.some((x) => x.calendar === h.calendar && x.date === h.date)) chosen.push(h);
      draw();
      form.querySelector("[role=status]").textContent = t("holidays.unsaved");
    };
    const another = picker("holiday-new", today, years);
    const form = el("form", { class: "card", id: "holidays" },
      el("h1", { text: t("holidays.title") }),
      el("p", { class: "note", text: t("holidays.note") }),
      list,
      el("div", { "data-field": "holidays" }, el("p", { class: "error field-error" })),
      el("div", { class: "row" }, another.node, el("button", { type: "button", id: "holiday-add", text: t("holidays.add"), onclick: () => add(another.value()) })),
      status(),
      el("button", { class: "primary", type: "submit", text: t("save") }));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      saveSettings(state, form, { holidays: chosen }, holidays);
    });
    draw();

    const offerYear = el("select", { id: "lunar-year" }, ...years.map((y) => el("option", { value: String(y), text: digits(y) })));
    offerYear.value = String(today.y);
    const offers = el("ul", { class: "plain", id: "lunar" });
    let offered = [];
    const offer = () => {
      offered = lunarHolidays(Number(offerYear.value)).map((h, i) => ({ box: el("input", { type: "checkbox", id: `lunar-${i}` }), date: picker(`lunar-${i}`, h, years), key: h.key }));
      offers.replaceChildren(...offered.map((o) => el("li", { "data-key": o.key },
        el("label", { class: "check", for: o.box.id }, o.box, " ", t("lunar." + o.key)), o.date.node)));
    };
    offerYear.addEventListener("change", offer);
    offer();
    const lunar = el("section", { class: "card", id: "lunar-offer" },
      el("h2", { text: t("holidays.lunar") }),
      el("p", { class: "note", text: t("holidays.lunarNote") }),
      el("label", { for: "lunar-year", text: t("holidays.year") }), offerYear,
      offers,
      el("button", { type: "button", id: "lunar-add", text: t("holidays.addChecked"), onclick: () => offered.filter((o) => o.box.checked).forEach((o) => { o.box.checked = false; add(o.date.value()); }) }));

    const fixed = el("section", { class: "card", id: "fixed-holidays" },
      el("h2", { text: t("holidays.fixed") }),
      el("p", { class: "note", text: t("holidays.fixedNote") }),
      el("ul", { class: "plain" }, ...FIXED_HOLIDAYS.map(([m, d]) => el("li", { text: jalaliText({ m, d }) }))));
    main.replaceChildren(form, lunar, fixed);
  }

  return { rules, tiers, holidays };
}

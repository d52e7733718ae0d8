// One run's live page. The guide's frontend pseudo-code, ported: what to show is decided from
// current_step_display alone (status, step_type, completion_display, waiting_display,
// step_display, and the keys present in every state: error, wait, retry, step_title):
// completed -> success screen, failed/cancelled -> what went wrong and where, action step ->
// a form built from step_display, any wait -> what it waits for, since and until when,
// anything else -> a spinner. Plus the step timeline with the steps' declared titles.
(function () {
  "use strict";
  const api = JSON.parse(document.getElementById("api-urls").textContent);
  const screen = document.getElementById("screen");
  const runId = Number(screen.dataset.runId);
  const csrf = document.getElementById("csrf").value;
  let shownKey = null; // what the screen shows now, so polling never wipes a half-typed form

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([key, value]) => {
      if (value !== undefined && value !== null && value !== false) node.setAttribute(key, value);
    });
    (children || []).forEach((child) => {
      if (child !== null && child !== undefined && child !== "")
        node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    });
    return node;
  }
  const humanize = (name) => (name || "").replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());
  const clock = (iso) => (iso ? new Date(iso).toLocaleTimeString() : "");
  const quoted = (text) => "“" + text + "”";

  // Screens --------------------------------------------------------------------------------
  function successScreen(display) {
    const done = display.completion_display || {};
    return el("div", { class: "screen success", "data-screen": "completed" }, [
      el("div", { class: "icon ok" }, ["✓"]),
      el("h2", {}, [done.display_title || "All done"]),
      el("p", {}, [done.display_subtitle || "The workflow completed."]),
      el("a", { class: "btn", href: api.page.replace("/runs/{id}/", "/") }, ["Back to all runs"]),
    ]);
  }

  function endedScreen(display, data) {
    const failed = display.status === "failed";
    const error = display.error;
    return el("div", { class: "screen", "data-screen": display.status }, [
      el("div", { class: "icon " + (failed ? "bad" : "off") }, [failed ? "!" : "×"]),
      el("h2", {}, [failed ? "This run failed" : "This run was cancelled"]),
      el("p", { class: "error-message" }, [error.message]),
      error.step ? el("p", { class: "note" }, [(failed ? "Failed at " : "Stopped at ") +
        quoted(display.step_title) + "."]) : null,
      failed ? compensation(data || {}) : null,
    ]);
  }

  // The demo's order workflow records what its @on_fail handler undid.
  function compensation(data) {
    const undone = [data.refunded && "payment refunded", data.released && "stock released"]
      .filter(Boolean);
    return undone.length ? el("div", { class: "pill ok" }, ["Compensated: " + undone.join(", ")]) : null;
  }

  // What a wait is, in words, from display.wait and display.retry (present in every state).
  const WAIT_TITLES = { signal: "Waiting for a signal", event: "Waiting for an event",
    action: "Waiting for a form", subflow: "Waiting for a subworkflow", sleep: "Sleeping",
    retry: "Retrying soon", start: "Planned start", code: "Waiting for a deploy" };

  function waitingText(display) {
    const wait = display.wait, retry = display.retry, until = clock(wait.until);
    const deadline = until ? " until " + until : "";
    switch (wait.kind) {
      case "signal": return "Waiting for the signal " + quoted(wait.for) + deadline + ".";
      case "event": return "Waiting for the event " + quoted(wait.for) + deadline + ".";
      case "action": return "Waiting for someone to submit " + quoted(wait.for) + ".";
      case "subflow": return "Waiting for the subworkflow " + quoted(wait.for) + " to finish.";
      case "sleep": return "Sleeping; " + quoted(display.step_title) + " runs again at " + until + ".";
      case "retry": return "Attempt " + retry.attempt + " of " + retry.max_attempts + " failed: " +
        retry.last_error.replace(/\.$/, "") + "; next try at " + until + ".";
      case "start": return "This run is planned: " + quoted(display.step_title) + " starts at " + until + ".";
      case "code": return "This server does not have the code of " + quoted(display.step_title) +
        " yet (a deploy is rolling out); trying again at " + until + ".";
      default: return "Step " + quoted(display.step_title) + " is waiting.";
    }
  }

  function waitingScreen(display) {
    const waiting = display.waiting_display || {};
    const wait = display.wait;
    const canPoke = display.status === "suspended" && ["signal", "event"].includes(wait.kind);
    const poke = el("button", { class: "secondary", type: "button", "data-poke": wait.for },
      ["Simulate " + quoted(wait.for)]);
    const note = el("p", { class: "note" }, []);
    poke.addEventListener("click", async () => {
      const response = await post(api.outside.replace("{id}", runId), {});
      note.textContent = (await response.json()).detail || "";
      poll();
    });
    return el("div", { class: "screen", "data-screen": "waiting", "data-wait": wait.kind }, [
      el("div", { class: "icon wait" }, [el("span", { class: "ring" })]),
      el("h2", {}, [waiting.display_title || WAIT_TITLES[wait.kind] || "Waiting"]),
      el("p", { class: "wait-text" }, [waiting.display_subtitle || waitingText(display)]),
      waiting.display_subtitle ? el("p", { class: "note" }, [waitingText(display)]) : null,
      wait.since ? el("p", { class: "note" }, [(wait.kind === "start" ? "Planned at " : "Since ") +
        clock(wait.since) + "."]) : null,
      waiting.display_waiting_for ? el("div", { class: "pill" }, ["Waiting for: " + waiting.display_waiting_for]) : null,
      canPoke ? el("div", {}, [poke, note]) : null,
    ]);
  }

  function spinnerScreen(display) {
    return el("div", { class: "screen", "data-screen": "processing" }, [
      el("div", { class: "spinner" }),
      el("h2", {}, ["Working on it…"]),
      el("p", {}, ["Running " + quoted(display.step_title) + "."]),
    ]);
  }

  // The action form ------------------------------------------------------------------------
  function input(field, config) {
    const id = "field-" + field.name;
    const component = (config && config.display_component) || "";
    if (field.type === "choice" && (component === "RadioGroup" || field.choices.length <= 3)) {
      return el("div", { class: "radios", role: "radiogroup", id }, field.choices.map((choice) =>
        el("label", {}, [el("input", { type: "radio", name: field.name, value: choice.value,
          checked: choice.value === field.default }), choice.label])));
    }
    if (field.type === "choice") {
      return el("select", { name: field.name, id }, field.choices.map((choice) =>
        el("option", { value: choice.value, selected: choice.value === field.default }, [choice.label])));
    }
    if (component === "TextArea") {
      return el("textarea", { name: field.name, id, maxlength: field.max_length }, []);
    }
    if (field.type === "boolean") return el("input", { type: "checkbox", name: field.name, id });
    return el("input", { type: field.type === "number" ? "number" : field.type === "email" ? "email" : "text",
      name: field.name, id, maxlength: field.max_length, value: field.default });
  }

  function fieldBlock(field, config) {
    return el("div", { class: "field", "data-field": field.name }, [
      el("label", { for: "field-" + field.name }, [field.label]),
      input(field, config),
      config && config.display_help_text ? el("div", { class: "help" }, [config.display_help_text]) : null,
      el("div", { class: "error" }, []),
    ]);
  }

  function groupsFor(stepDisplay, fields) {
    const byName = Object.fromEntries(fields.map((field) => [field.name, field]));
    const groups = (stepDisplay.field_groups || []).map((group) => ({ ...group,
      fields: group.field_names.filter((name) => byName[name]).map((name) => byName[name]) }));
    const grouped = new Set(groups.flatMap((group) => group.field_names));
    const rest = fields.filter((field) => !grouped.has(field.name));
    if (rest.length) groups.push({ display_title: groups.length ? "Other details" : "", fields: rest });
    return groups;
  }

  function readForm(form, fields) {
    const values = { workflow_run_id: runId };
    fields.forEach((field) => {
      if (field.type === "boolean") values[field.name] = form.elements[field.name].checked;
      else {
        const value = form.elements[field.name] ? form.elements[field.name].value : "";
        if (value !== "") values[field.name] = field.type === "number" ? Number(value) : value;
      }
    });
    return values;
  }

  function showErrors(form, errors) {
    form.querySelectorAll(".error").forEach((node) => (node.textContent = ""));
    Object.entries(errors).forEach(([name, problems]) => {
      const text = Array.isArray(problems) ? problems.join(" ") : String(problems);
      const slot = form.querySelector('[data-field="' + name + '"] .error') || form.querySelector(".form-error");
      slot.textContent = text;
    });
  }

  async function formScreen(display, stepDisplay) {
    const described = await (await fetch(api.form.replace("{id}", runId))).json();
    const configs = Object.fromEntries((stepDisplay.field_display_configs || []).map((c) => [c.field_name, c]));
    const form = el("form", { class: "action-form", "data-screen": "form", novalidate: "" }, [
      el("div", { class: "intro" }, [
        el("h2", {}, [stepDisplay.display_title || display.step_title]),
        el("p", { class: "muted" }, [stepDisplay.display_description || ""]),
      ]),
      ...groupsFor(stepDisplay, described.fields).map((group) => el("fieldset", {}, [
        group.display_title ? el("legend", {}, [group.display_title]) : null,
        group.display_description ? el("p", { class: "group-desc" }, [group.display_description]) : null,
        ...group.fields.map((field) => fieldBlock(field, configs[field.name])),
      ])),
      el("div", { class: "form-error" }, []),
      el("button", { class: "primary", type: "submit" }, ["Submit"]),
    ]);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      form.querySelector("button[type=submit]").disabled = true;
      const response = await post(api.action.replace("{name}", described.action), readForm(form, described.fields));
      form.querySelector("button[type=submit]").disabled = false;
      if (response.ok) { shownKey = null; poll(); return; }
      const body = await response.json().catch(() => ({}));
      showErrors(form, body.detail ? { non_field_errors: body.detail } : body);
    });
    return form;
  }

  function post(url, body) {
    return fetch(url, { method: "POST", body: JSON.stringify(body), credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf } });
  }

  // Header, timeline, context --------------------------------------------------------------
  function renderHeader(run) {
    const status = document.getElementById("status");
    status.className = "badge " + run.status;
    status.textContent = run.status;
    const percent = Math.round(run.progress * 100);
    document.getElementById("progress-bar").className = "bar " + run.status;
    document.querySelector("#progress-bar > div").style.width = percent + "%";
    document.getElementById("progress-label").textContent = percent + "% done";
    document.getElementById("context").textContent = JSON.stringify(run.data || {}, null, 2);
  }

  // Where the run is now, in words: a planned start or a retry is not "now".
  function currentWhen(display) {
    const wait = display.wait, retry = display.retry;
    switch (wait.kind) {
      case "": return "running now";
      case "start": return "planned · starts at " + clock(wait.until);
      case "retry": return "attempt " + retry.attempt + " of " + retry.max_attempts +
        " failed · next try at " + clock(wait.until);
      case "sleep": return "sleeping until " + clock(wait.until);
      default: return "waiting since " + clock(wait.since) +
        (wait.until ? " · until " + clock(wait.until) : "");
    }
  }

  function renderTimeline(run) {
    const titles = run.step_titles || {};
    const title = (name) => titles[name] || humanize(name);
    const display = run.current_step_display || {};
    const items = (run.history || run.step_executions || []).map((row) =>
      el("li", { class: row.status }, [
        el("div", { class: "step" }, [title(row.step_name)]),
        el("div", { class: "when" }, [row.status + " · " + clock(row.created_at)]),
        row.error ? el("div", { class: "err" }, [row.error.trim().split("\n").pop()]) : null,
      ]));
    if (!["completed", "failed", "cancelled"].includes(display.status)) {
      const kind = display.wait.kind;
      items.push(el("li", { class: kind === "start" ? "planned" : kind === "retry" ? "retrying" : "current",
        "data-wait": kind }, [
        el("div", { class: "step" }, [display.step_title]),
        el("div", { class: "when" }, [currentWhen(display)]),
      ]));
    }
    document.getElementById("timeline").replaceChildren(...items);
  }

  // Deciding what to show: the guide's pseudo-code, with the states it leaves to a spinner -------
  async function renderScreen(run) {
    const display = run.current_step_display;
    const key = [display.status, display.current_step, display.step_type, display.wait.kind,
      display.wait.until, display.retry.attempt].join("|");
    if (key === shownKey) return;
    shownKey = key;
    let node;
    if (display.status === "completed") node = successScreen(display);
    else if (display.status === "failed" || display.status === "cancelled") node = endedScreen(display, run.data);
    else if (display.step_type === "action") node = await formScreen(display, display.step_display);
    else if (display.wait.kind) node = waitingScreen(display);
    else node = spinnerScreen(display);
    screen.replaceChildren(node);
  }

  async function poll() {
    try {
      const response = await fetch(api.run.replace("{id}", runId), { headers: { Accept: "application/json" } });
      if (!response.ok) return;
      const run = await response.json();
      renderHeader(run);
      renderTimeline(run);
      await renderScreen(run);
    } catch (error) {
      // A restarting server is normal in development: the next poll tries again.
    }
  }

  poll();
  setInterval(poll, 1500);
})();

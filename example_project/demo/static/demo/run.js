// One run's live page: polls the run API and renders the guide's frontend logic:
// completed -> success screen, action step -> a form built from step_display,
// suspended/waiting -> waiting screen, anything else -> a spinner. Plus the step timeline.
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

  // Screens --------------------------------------------------------------------------------
  function successScreen(display) {
    return el("div", { class: "screen success", "data-screen": "completed" }, [
      el("div", { class: "icon ok" }, ["✓"]),
      el("h2", {}, [display.display_title || "All done"]),
      el("p", {}, [display.display_subtitle || "The workflow completed."]),
      el("a", { class: "btn", href: api.page.replace("/runs/{id}/", "/") }, ["Back to all runs"]),
    ]);
  }

  function endedScreen(run) {
    const failed = run.status === "failed";
    return el("div", { class: "screen", "data-screen": run.status }, [
      el("div", { class: "icon " + (failed ? "bad" : "off") }, [failed ? "!" : "×"]),
      el("h2", {}, [failed ? "This run failed" : "This run was cancelled"]),
      el("p", {}, [(run.error || "").trim().split("\n")[0]]),
      failed ? compensation(run.data || {}) : null,
    ]);
  }

  // The demo's order workflow records what its @on_fail handler undid.
  function compensation(data) {
    const undone = [data.refunded && "payment refunded", data.released && "stock released"]
      .filter(Boolean);
    return undone.length ? el("div", { class: "pill ok" }, ["Compensated: " + undone.join(", ")]) : null;
  }

  // What the run waits for, from the run's wait_kind/waiting_for, when the workflow gave no
  // waiting_display of its own (signal waits, sleeps, retries, planned starts, subflows).
  function waitingText(run) {
    const at = clock(run.wake_at);
    switch (run.wait_kind) {
      case "signal": return "Waiting for the signal “" + run.waiting_for + "”" + (at ? " until " + at : "") + ".";
      case "event": return "Waiting for the event “" + run.waiting_for + "”" + (at ? " until " + at : "") + ".";
      case "subflow": return "Waiting for a subworkflow to finish.";
      case "sleep": return "Sleeping; “" + humanize(run.current_step) + "” runs again at " + at + ".";
      case "retry": return "The last attempt failed; trying again at " + at + ".";
      case "start": return "Planned to start at " + at + ".";
      default: return "Step “" + humanize(run.current_step) + "” is waiting.";
    }
  }

  function waitingScreen(run, display) {
    const waiting = display.waiting_display || {};
    const canPoke = run.status === "suspended" && ["signal", "event"].includes(run.wait_kind);
    const poke = el("button", { class: "secondary", type: "button", "data-poke": run.waiting_for },
      ["Simulate “" + run.waiting_for + "”"]);
    const note = el("p", { class: "note" }, []);
    poke.addEventListener("click", async () => {
      const response = await post(api.outside.replace("{id}", runId), {});
      note.textContent = (await response.json()).detail || "";
      poll();
    });
    return el("div", { class: "screen", "data-screen": "waiting" }, [
      el("div", { class: "icon wait" }, [el("span", { class: "ring" })]),
      el("h2", {}, [waiting.display_title || (run.status === "waiting" ? "Back soon" : "Waiting")]),
      el("p", {}, [waiting.display_subtitle || waitingText(run)]),
      waiting.display_subtitle && run.wake_at ? el("p", { class: "note" }, ["Gives up at " + clock(run.wake_at) + "."]) : null,
      waiting.display_waiting_for ? el("div", { class: "pill" }, ["Waiting for: " + waiting.display_waiting_for]) : null,
      canPoke ? el("div", {}, [poke, note]) : null,
    ]);
  }

  function spinnerScreen(run) {
    return el("div", { class: "screen", "data-screen": "processing" }, [
      el("div", { class: "spinner" }),
      el("h2", {}, ["Working on it…"]),
      el("p", {}, ["Running “" + humanize(run.current_step) + "”."]),
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

  async function formScreen(run, stepDisplay) {
    const described = await (await fetch(api.form.replace("{id}", runId))).json();
    const configs = Object.fromEntries((stepDisplay.field_display_configs || []).map((c) => [c.field_name, c]));
    const form = el("form", { class: "action-form", "data-screen": "form", novalidate: "" }, [
      el("div", { class: "intro" }, [
        el("h2", {}, [stepDisplay.display_title || humanize(run.current_step)]),
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

  function renderTimeline(run) {
    const items = (run.history || run.step_executions || []).map((row) =>
      el("li", { class: row.status }, [
        el("div", { class: "step" }, [humanize(row.step_name)]),
        el("div", { class: "when" }, [row.status + " · " + clock(row.created_at)]),
        row.error ? el("div", { class: "err" }, [row.error.trim().split("\n").pop()]) : null,
      ]));
    if (!["completed", "failed", "cancelled"].includes(run.status)) {
      items.push(el("li", { class: "current" }, [
        el("div", { class: "step" }, [humanize(run.current_step)]),
        el("div", { class: "when" }, ["now · " + run.status]),
      ]));
    }
    document.getElementById("timeline").replaceChildren(...items);
  }

  // Deciding what to show ------------------------------------------------------------------
  async function renderScreen(run) {
    const display = run.current_step_display || {};
    const key = [run.status, run.current_step, display.step_type, run.wake_at, run.wait_kind].join("|");
    if (key === shownKey) return;
    shownKey = key;
    let node;
    if (run.status === "completed") node = successScreen(display.completion_display || {});
    else if (run.status === "failed" || run.status === "cancelled") node = endedScreen(run);
    else if (display.step_type === "action") node = await formScreen(run, display.step_display || {});
    else if (run.status === "suspended" || run.status === "waiting") node = waitingScreen(run, display);
    else node = spinnerScreen(run);
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

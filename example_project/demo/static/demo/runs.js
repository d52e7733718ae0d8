// The run list: re-reads the runs API every two seconds and redraws the table.
(function () {
  "use strict";
  const api = JSON.parse(document.getElementById("api-urls").textContent);
  const body = document.getElementById("runs");

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([key, value]) => node.setAttribute(key, value));
    (children || []).forEach((child) =>
      node.append(child instanceof Node ? child : document.createTextNode(String(child))));
    return node;
  }

  function row(run) {
    const link = el("a", { href: api.page.replace("{id}", run.id) }, ["#" + run.id]);
    const name = run.parent_run_id ? "↳ " + run.name + " (in #" + run.parent_run_id + ")" : run.name;
    const fill = el("div", { style: "width: " + Math.round(run.progress * 100) + "%" });
    return el("tr", { class: run.parent_run_id ? "child" : "" }, [
      el("td", {}, [link]),
      el("td", {}, [name]),
      el("td", {}, [el("span", { class: "badge " + run.status }, [run.status])]),
      el("td", {}, [run.current_step]),
      el("td", {}, [el("div", { class: "bar " + run.status }, [fill])]),
    ]);
  }

  async function refresh() {
    try {
      const response = await fetch(api.runs, { headers: { Accept: "application/json" } });
      if (!response.ok) return;
      const data = await response.json();
      const runs = Array.isArray(data) ? data : data.results || [];
      if (!runs.length) return;
      runs.sort((a, b) => b.id - a.id);
      body.replaceChildren(...runs.map(row));
    } catch (error) {
      // The server restarting is normal during development; try again on the next tick.
    }
  }

  async function refreshOutbox() {
    try {
      const response = await fetch(api.outbox, { headers: { Accept: "application/json" } });
      if (!response.ok) return;
      const notes = (await response.json()).results;
      if (!notes.length) return;
      document.getElementById("outbox").replaceChildren(...notes.map((note) =>
        el("li", {}, [el("strong", {}, [note.recipient_email]), el("br"), note.message])));
    } catch (error) {
      // Try again on the next tick.
    }
  }

  function tick() {
    refresh();
    refreshOutbox();
  }

  tick();
  setInterval(tick, 2000);
})();

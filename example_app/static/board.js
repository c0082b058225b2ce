// Live board: applies task changes pushed over /ws/projects/{id} to the columns on this page.
// Task text is set with textContent only, never parsed as HTML.
(function () {
  "use strict";

  const board = document.querySelector("[data-live-project]");
  if (!board) {
    return;
  }
  const projectId = board.dataset.liveProject;
  const taskUrl = board.dataset.taskUrl;
  const status = document.getElementById("live-status");

  function setStatus(text) {
    if (status) {
      status.textContent = text;
    }
  }

  function renderTask(task) {
    const item = document.createElement("li");
    item.className = "task fresh";
    item.dataset.taskId = String(task.id);
    const link = document.createElement("a");
    link.className = "task-title";
    link.href = taskUrl + encodeURIComponent(task.id) + "/edit";
    link.textContent = task.title;
    item.appendChild(link);
    if (task.description) {
      const text = document.createElement("p");
      text.textContent = task.description;
      item.appendChild(text);
    }
    return item;
  }

  function removeTask(taskId) {
    const existing = board.querySelector('[data-task-id="' + CSS.escape(String(taskId)) + '"]');
    if (existing) {
      existing.remove();
    }
  }

  function apply(event) {
    removeTask(event.task_id);
    if (event.type === "task.deleted" || !event.task) {
      return;
    }
    const column = document.getElementById("column-" + event.task.status);
    if (column) {
      column.appendChild(renderTask(event.task));
    }
  }

  function connect(delay) {
    const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + window.location.host + "/ws/projects/" + encodeURIComponent(projectId));
    socket.addEventListener("open", function () {
      setStatus("Live: changes by others appear here.");
      delay = 1000;
    });
    socket.addEventListener("message", function (message) {
      try {
        apply(JSON.parse(message.data));
      } catch (error) {
        console.error("Ignoring a malformed board event", error);
      }
    });
    socket.addEventListener("close", function (closing) {
      if (closing.code === 1008) {
        setStatus("Live updates are not available: " + (closing.reason || "access denied") + ".");
        return;
      }
      setStatus("Live updates paused; reconnecting…");
      window.setTimeout(function () { connect(Math.min(delay * 2, 30000)); }, delay);
    });
  }

  connect(1000);
})();

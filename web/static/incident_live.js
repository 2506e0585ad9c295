// The incident page works without this file. With it, the timeline of an
// incident follows the live feed (/api/v1/events, Server-Sent Events,
// signed in with the session cookie): new updates appear at the top, and a
// change of status asks for a reload. Only events the viewer may see
// arrive; nothing else is fetched.
"use strict";
(function () {
	var box = document.querySelector("[data-live-incident]");
	if (!box || !window.EventSource || !window.JSON) return;
	var id = box.getAttribute("data-live-incident");
	var status = box.querySelector("[data-live-status]");
	var feed = new EventSource("/api/v1/events");
	function own(ev) {
		try {
			var msg = JSON.parse(ev.data);
			return msg && msg.data && msg.data.id === id ? msg.data : null;
		} catch (e) { return null; }
	}
	function say(text) { if (status) status.textContent = text; }
	feed.addEventListener("open", function () { say("Live: new updates appear here as they are posted."); });
	feed.addEventListener("error", function () { say("Live updates paused; reconnecting…"); });
	feed.addEventListener("incident.updated", function (ev) {
		var d = own(ev);
		if (!d || !d.update) return;
		var list = box.querySelector("ol.timeline");
		if (!list) {
			list = document.createElement("ol");
			list.className = "timeline";
			list.reversed = true;
			var empty = box.querySelector(".empty");
			if (empty) empty.replaceWith(list); else box.appendChild(list);
		}
		var li = document.createElement("li");
		var when = document.createElement("p");
		var t = (d.update.created_at || "").replace("T", " ").slice(0, 16);
		when.textContent = t + " UTC · " + (d.update.author || "");
		var text = document.createElement("p");
		text.className = "pre-wrap";
		text.textContent = d.update.text || "";
		li.appendChild(when);
		li.appendChild(text);
		list.insertBefore(li, list.firstChild);
		say("New update posted at " + t + " UTC.");
	});
	["incident.activated", "incident.closed"].forEach(function (type) {
		feed.addEventListener(type, function (ev) {
			if (own(ev)) say("The incident's status changed: reload the page to see it.");
		});
	});
})();

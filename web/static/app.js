// KSP works without this file. It only adds copy-to-clipboard buttons next
// to secrets and URLs: <button class="copy" data-copy="ID" hidden>.
"use strict";
document.querySelectorAll("button.copy[data-copy]").forEach(function (b) {
	var target = document.getElementById(b.getAttribute("data-copy"));
	if (!target || !navigator.clipboard) return;
	b.hidden = false;
	b.addEventListener("click", function () {
		navigator.clipboard.writeText(target.textContent.trim()).then(function () {
			var label = b.textContent;
			b.textContent = "Copied";
			setTimeout(function () { b.textContent = label; }, 2000);
		});
	});
});

package markdown_test

import (
	"fmt"

	"github.com/kspplatform/ksp/markdown"
)

func ExampleRender() {
	fmt.Print(markdown.Render("## Removal orders\n\nSee [the regulation](https://eur-lex.europa.eu/eli/reg/2021/784/oj), " +
		"not [this](javascript:alert(1)).\n\n![logo](https://evil.example/x.png)\n\n<script>alert(1)</script>"))
	// Output:
	// <h2 id="md-removal-orders">Removal orders</h2>
	// <p>See <a href="https://eur-lex.europa.eu/eli/reg/2021/784/oj" rel="nofollow noopener noreferrer">the regulation</a> <span class="link-target">(https://eur-lex.europa.eu/eli/reg/2021/784/oj)</span>, not this.</p>
	// <p><span class="md-image">[image: logo — https://evil.example/x.png]</span></p>
}

func ExamplePlain() {
	fmt.Println(markdown.Plain("# Checklist\n\n1. **Preserve** the content\n2. Report to [the desk](mailto:desk@example.org)"))
	// Output:
	// Checklist
	// Preserve the content
	// Report to the desk
}

func ExampleDiff() {
	for _, l := range markdown.Diff("one hour\nto remove\n", "one hour\nto remove or disable\n") {
		fmt.Printf("%-7s %d %d %s\n", l.Op, l.Old, l.New, l.Text)
	}
	// Output:
	// same    1 1 one hour
	// removed 2 0 to remove
	// added   0 2 to remove or disable
}

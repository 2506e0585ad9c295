package names

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kspplatform/ksp/internal/sharedtest"
)

// sharedDir returns the shared test data folder: $KSP_SHARED, else shared/
// beside the module root. Without it the test is skipped, or fails under
// CI=true.
func sharedDir(t testing.TB) string {
	t.Helper()
	return sharedtest.Dir(t, "unsc")
}

// unscRecord is what the tests read of an INDIVIDUAL or ENTITY.
type unscRecord struct {
	DataID   string   `xml:"DATAID"`
	First    string   `xml:"FIRST_NAME"`
	Second   string   `xml:"SECOND_NAME"`
	Third    string   `xml:"THIRD_NAME"`
	Fourth   string   `xml:"FOURTH_NAME"`
	Original string   `xml:"NAME_ORIGINAL_SCRIPT"`
	IndAlias []string `xml:"INDIVIDUAL_ALIAS>ALIAS_NAME"`
	EntAlias []string `xml:"ENTITY_ALIAS>ALIAS_NAME"`
}

// fields lists the record's name fields as written, white space collapsed.
func (r unscRecord) fields() []string {
	var out []string
	full := strings.Join([]string{r.First, r.Second, r.Third, r.Fourth}, " ")
	for _, f := range append([]string{full, r.Original}, append(r.IndAlias, r.EntAlias...)...) {
		out = append(out, strings.Join(strings.Fields(f), " "))
	}
	return out
}

// names lists the record's name, original-script name and aliases, each
// split with SplitAliases.
func (r unscRecord) names() []string {
	var out []string
	for _, f := range r.fields() {
		out = append(out, SplitAliases(f)...)
	}
	return out
}

// loadUNSC indexes every name and alias of the 2024 consolidated list by
// DATAID and returns the index and the records.
func loadUNSC(t testing.TB) (*Index, map[string]unscRecord) {
	t.Helper()
	f, err := os.Open(filepath.Join(sharedDir(t), "testdata", "unsc", "consolidated-2024-09-26.xml"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ix := NewIndex()
	recs := map[string]unscRecord{}
	d := xml.NewDecoder(f)
	for {
		tok, err := d.Token()
		if err != nil {
			break
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "INDIVIDUAL" && se.Name.Local != "ENTITY" {
			continue
		}
		var r unscRecord
		if err := d.DecodeElement(&r, &se); err != nil {
			t.Fatal(err)
		}
		r.DataID = strings.TrimSpace(r.DataID)
		recs[r.DataID] = r
		for _, n := range r.names() {
			ix.Add(r.DataID, n)
		}
	}
	if len(recs) < 800 {
		t.Fatalf("read %d records of the 2024 list, want 875", len(recs))
	}
	return ix, recs
}

// variantPairs are names and aliases of the 2024 list, each with a spelling
// a user would type: other particles, hyphens, diacritics, word order, part
// of the words, transliteration variants, Arabic-script variants.
var variantPairs = []struct {
	listed, query, dataID string
}{
	{"AL-QAIDA IN IRAQ", "al qaeda in iraq", "113966"},
	{"AL-QAIDA IN IRAQ", "iraq al-qa'ida", "113966"},
	{"القاعده في العراق", "القاعدة في العراق", "113966"},
	{"LASHKAR I JHANGVI (LJ)", "Lashkar-e-Jhangvi", "114089"},
	{"LASHKAR I JHANGVI (LJ)", "lashkar jangvi", "114089"},
	{"JAMAAT-UL-AHRAR (JuA)", "jama'at ul ahrar", "6908599"},
	{"Jamaat-e-Ahrar", "jamat i ahrar", "6908599"},
	{"AL-QAIDA", "el-qaïda", "113458"},
	{"القاعدة", "القاعده", "113458"},
	{"Lashkar-i-Taiba", "lashkar e tayyaba", "114076"},
	{"Army of the Pure", "pure army", "114076"},
	{"Jamaat-ud-Dawa", "jamat ud dawah", "114076"},
	{"TEHRIK-E TALIBAN PAKISTAN (TTP)", "tahreek i taliban pakistan", "2971894"},
	{"Harkat-ul-Jehad-al-Islami", "harakat ul jihad e islami", "2921366"},
	{"AL-SHABAAB", "al shabab", "6908033"},
	{"HARAKAT AL - SHABAAB AL - MUJAAHIDIIN", "harakat shabab mujahideen", "6908033"},
	{"Jabhat al-Nusrah", "jabhat an-nusra", "6908429"},
	{"Hay’at Tahrir al-Sham", "hayat tahrir al sham", "6908429"},
	{"جبهة النصرة", "جبهه النُّصره", "6908429"},
	{"هيئة تحرير الشام", "هيئه تحرير شام", "6908429"},
	{"AL-NUSRAH FRONT FOR THE PEOPLE OF THE LEVANT", "nusra front", "6908429"},
	{"الجهاد الاسلامي المصري", "الجِهاد الإسلامي المصري", "113236"},
	{"أنصار الاسلام", "انصار الإسلام", "113460"},
	{"عصبة الأنصار", "عصبه الانصار", "113461"},
	{"JEMAAH ISLAMIYAH", "jamaa islamiyya", "113967"},
	{"Jama'atu Ahlus-Sunnah Lidda'Awati Wal Jihad", "jamaatu ahlu sunna lidawati jihad", "6908431"},
	{"AL MOURABITOUN", "al-murabitun", "6908428"},
	{"المرابطون", "المُرابِطون", "6908428"},
	{"ANSAR AL CHARIA BENGHAZI", "benghazi ansar sharia", "6908438"},
	{"JUND AL-KHILAFAH IN ALGERIA (JAK-A)", "jund el khilafa algeria", "6908486"},
	{"Jaysh Khalid Ibn al Waleed", "jaish khalid bin walid", "6908606"},
	{"ANSARALLAH", "ansarullah", "6908876"},
	{"ISIL KHORASAN", "isil khurasan", "6908777"},
	{"شبکه حقانی", "شبكة حقاني", "3000441"},
	{"HAQQANI NETWORK (HQN)", "haqani network", "3000441"},
	{"Riyadh-as-Saliheen", "riyadus salikhin", "113868"},
	{"EASTERN TURKISTAN ISLAMIC MOVEMENT (ETIM)", "east turkestan islamic movement", "113356"},
	{"ISLAMIC MOVEMENT OF UZBEKISTAN", "uzbekistan islamic movement", "113964"},
	{"JAISH-I-MOHAMMED", "jaish e muhammad", "113965"},
	{"MAKHTAB AL-KHIDAMAT", "maktab al khidmat", "113858"},
	{"AL RASHID TRUST", "rasheed trust", "113459"},
	{"الجماعة الاسلامية المقاتلة الليبية", "الجماعه الإسلاميه المقاتله الليبيه", "114090"},
	{"JAMAAH ANSHARUT DAULAH", "jamaah anshorut dawlah", "6908835"},
	{"KHATIBA AL-TAWHID WAL-JIHAD (KTJ)", "khatiba tawheed jihad", "6908877"},
	{"Катиба ат-Таухид валь-Джихад", "катиба таухид джихад", "6908877"},
	{"JUND AL AQSA", "jund el-aqsa", "6908607"},
	{"ABDALLAH AZZAM BRIGADES (AAB)", "abdullah azam brigade", "6908409"},
	{"SELSELAT AL-THAHAB", "silsilat al dhahab", "6908605"},
	{"AIMAN MUHAMMED RABI AL-ZAWAHIRI", "ayman al zawahiri", "111923"},
	{"أيمن محمد ربيع الظواهري", "ايمن الظواهري", "111923"},
	{"HAFIZ MUHAMMAD SAEED", "saeed hafiz", "2833107"},
	{"MOHAMMED MASOOD AZHAR ALVI", "masood azhar", "6908769"},
	{"ABUBAKAR MOHAMMED SHEKAU", "abu bakar shekau", "6908425"},
	{"SIRAJUDDIN JALLALOUDINE HAQQANI", "sirajuddin haqani", "2785696"},
	{"ABU MOHAMMED AL-JAWLANI", "abu muhammad al julani", "3020633"},
	{"ZAKI-UR-REHMAN LAKHVI", "zakiur rahman lakhvi", "2832887"},
	{"ABOU MOHAMED AL ADNANI", "abu muhammad al-adnani", "6908395"},
	{"جلال الدين حقانى", "جلال الدين حقاني", "110915"},
	{"حمزة أسامة محمد بن لادن", "حمزه اسامه بن لادن", "6908767"},
	{"Groupe Islamique Armé", "groupe islamique arme", "113237"},
	{"Al Qaïda au Maghreb islamique (AQMI)", "al qaida maghreb", "113995"},
}

// TestVariantPairs checks that each variant spelling ranks the entity in the
// top 3 among all names of the 2024 list.
func TestVariantPairs(t *testing.T) {
	ix, recs := loadUNSC(t)
	if len(variantPairs) < 30 {
		t.Fatalf("%d pairs, want at least 30", len(variantPairs))
	}
	for _, p := range variantPairs {
		t.Run(p.query, func(t *testing.T) {
			r, ok := recs[p.dataID]
			if !ok {
				t.Fatalf("DATAID %s not in the list", p.dataID)
			}
			listed := false
			for _, f := range r.fields() {
				listed = listed || strings.Contains(f, p.listed)
			}
			if !listed {
				t.Fatalf("%q is not a name of %s: %q", p.listed, p.dataID, r.fields())
			}
			hits := ix.Search(p.query, 3)
			for i, h := range hits {
				if h.ID == p.dataID {
					t.Logf("rank %d, score %.3f (%s)", i+1, h.Score, h.Name)
					return
				}
			}
			t.Errorf("Search(%q) top 3 = %v, want %s (%s)", p.query, hits, p.dataID, p.listed)
		})
	}
}

// TestSearchNegative checks that a query does not rank a wrong entity
// first, and that unrelated queries find nothing.
func TestSearchNegative(t *testing.T) {
	ix, _ := loadUNSC(t)
	notTop := []struct {
		query, wantTop, notTop string
	}{
		{"lashkar i jhangvi", "114089", "114076"},
		{"al qaida", "113458", "113966"},
		{"islamic state libya", "6908836", "6908837"},
		{"jalaluddin haqqani", "110915", "2785696"},
		{"jund al khilafah tunisia", "6908862", "6908486"},
		{"ansar al sharia benghazi", "6908438", "6908437"},
		{"الجماعة الاسلامية المقاتلة التونسية", "113997", "114090"},
	}
	for _, c := range notTop {
		t.Run(c.query, func(t *testing.T) {
			hits := ix.Search(c.query, 3)
			if len(hits) == 0 || hits[0].ID != c.wantTop || hits[0].ID == c.notTop {
				t.Errorf("Search(%q) = %v, want %s first, not %s", c.query, hits, c.wantTop, c.notTop)
			}
		})
	}
	for _, q := range []string{"chocolate cake recipe", "weather forecast tomorrow", "premier league football", "zzzz"} {
		t.Run(q, func(t *testing.T) {
			if hits := ix.Search(q, 3); len(hits) > 0 {
				t.Errorf("Search(%q) = %v, want nothing", q, hits)
			}
		})
	}
}

// TestSplitAliasesUNSC checks the names split from every field of the list:
// no parenthesis or semicolon is left in a name, and the packed fields give
// their names.
func TestSplitAliasesUNSC(t *testing.T) {
	_, recs := loadUNSC(t)
	for id, r := range recs {
		for _, n := range r.names() {
			if strings.ContainsAny(n, "();") || strings.TrimSpace(n) != n {
				t.Errorf("%s: name %q", id, n)
			}
		}
	}
	nusra := recs["6908429"].names()
	for _, want := range []string{"هيئة تحرير الشام", "Hayat Tahrir al-Sham", "Jabhat al-Nusrah", "جبهة فتح الشام", "Fateh al-Sham Front", "Ansar al-Mujahideen Network"} {
		if !slices.Contains(nusra, want) {
			t.Errorf("names of 6908429 lack %q: %q", want, nusra)
		}
	}
}

// TestSelfRetrieval searches every name and alias of the list as written
// and fails for each whose entity is not in the top 3; names that several
// entities share (such as "Ansar al-Sharia" or "Abu Mohammed") are left out.
func TestSelfRetrieval(t *testing.T) {
	if testing.Short() {
		t.Skip("4,000 searches: skipped with -short")
	}
	ix, recs := loadUNSC(t)
	owners := map[string]map[string]bool{} // folded name → ids
	type q struct{ name, id string }
	var qs []q
	for id, r := range recs {
		for _, n := range r.names() {
			k := strings.Join(Fold(n), " ")
			if owners[k] == nil {
				owners[k] = map[string]bool{}
			}
			owners[k][id] = true
			qs = append(qs, q{n, id})
		}
	}
	miss, shared := 0, 0
	for _, c := range qs {
		if len(owners[strings.Join(Fold(c.name), " ")]) > 1 {
			shared++
			continue
		}
		found := false
		for _, h := range ix.Search(c.name, 3) {
			found = found || h.ID == c.id
		}
		if !found {
			miss++
			t.Errorf("%s %q: top 3 %v", c.id, c.name, ix.Search(c.name, 3))
		}
	}
	t.Logf("%d names, %d shared by several entities, %d others missed", len(qs), shared, miss)
}

// BenchmarkSearch measures one search over every name and alias of the
// 2024 list.
func BenchmarkSearch(b *testing.B) {
	ix, _ := loadUNSC(b)
	queries := []string{"al qaeda in iraq", "lashkar i jhangvi", "jamaat ul ahrar", "hayat tahrir al sham", "شبكة حقاني", "korea trading corporation"}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		ix.Search(queries[i%len(queries)], 10)
	}
}

package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/sovcheck/sovcheck/internal/reason"
)

// Pos is a 1-based line and column in a policy or data file.
type Pos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
}

func (p Pos) String() string { return fmt.Sprintf("%d:%d", p.Line, p.Column) }

// Problem is one error in a policy or data file, at a position.
type Problem struct {
	Pos
	Code string `json:"code"`           // reason code, e.g. POLICY_INVALID
	Path string `json:"path,omitempty"` // the field, e.g. sbom.forbiddenLabels[2]
	Msg  string `json:"message"`
	Hint string `json:"hint,omitempty"`
}

// FileError lists the problems found in one policy or data file, in file
// order. It unwraps to a *reason.Error for the first problem, so callers
// that print one error print the first problem and its hint.
type FileError struct {
	Name     string
	Problems []Problem
}

// Format renders one problem as name:line:column: path: message.
func (e *FileError) Format(p Problem) string {
	var b strings.Builder
	b.WriteString(e.Name)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", p.Line, p.Column)
	}
	b.WriteString(": ")
	if p.Path != "" {
		b.WriteString(p.Path + ": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

func (e *FileError) Error() string {
	if len(e.Problems) == 0 {
		return e.Name + ": invalid"
	}
	msg := e.Format(e.Problems[0])
	if n := len(e.Problems) - 1; n > 0 {
		msg += fmt.Sprintf(" (and %d more problem%s)", n, plural(n))
	}
	return msg
}

// Unwrap returns the first problem as a *reason.Error.
func (e *FileError) Unwrap() error {
	if len(e.Problems) == 0 {
		return &reason.Error{Code: reason.PolicyInvalid, Msg: e.Error()}
	}
	return &reason.Error{Code: e.Problems[0].Code, Msg: e.Error(), Hint: e.Problems[0].Hint}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// problems collects problems with positions looked up by field path in
// the document's node tree.
type problems struct {
	list []Problem
	root *yaml.Node
}

// posAt returns the position of the node at path (e.g. rules[2].expr),
// or of the deepest node found on the way there.
func (ps *problems) posAt(path string) Pos {
	n := ps.root
	if n == nil {
		return Pos{}
	}
	for _, step := range pathSteps(path) {
		next := childNode(n, step)
		if next == nil {
			break
		}
		n = next
	}
	return posOf(n)
}

// nodeAt returns the node at path, or nil.
func (ps *problems) nodeAt(path string) *yaml.Node {
	n := ps.root
	for _, step := range pathSteps(path) {
		if n == nil {
			return nil
		}
		n = childNode(n, step)
	}
	return n
}

// pathSteps splits a field path into field names and [index] steps.
func pathSteps(path string) []string {
	var steps []string
	for _, seg := range strings.Split(path, ".") {
		name, rest, _ := strings.Cut(seg, "[")
		if name != "" {
			steps = append(steps, name)
		}
		for rest != "" {
			var idx string
			idx, rest, _ = strings.Cut(rest, "]")
			steps = append(steps, "["+idx)
			rest = strings.TrimPrefix(rest, "[")
		}
	}
	return steps
}

func childNode(n *yaml.Node, step string) *yaml.Node {
	if idx, ok := strings.CutPrefix(step, "["); ok {
		i, err := strconv.Atoi(idx)
		if n.Kind != yaml.SequenceNode || err != nil || i < 0 || i >= len(n.Content) {
			return nil
		}
		return n.Content[i]
	}
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == step {
			return n.Content[i+1]
		}
	}
	return nil
}

func (ps *problems) add(code string, at Pos, path, hint, format string, args ...any) {
	if len(ps.list) >= MaxProblems {
		return
	}
	ps.list = append(ps.list, Problem{Pos: at, Code: code, Path: path, Msg: fmt.Sprintf(format, args...), Hint: hint})
}

// at reports a problem with the field at path, at its position.
func (ps *problems) at(path, hint, format string, args ...any) {
	ps.add(reason.PolicyInvalid, ps.posAt(path), path, hint, format, args...)
}

func (ps *problems) err(name string) error {
	if len(ps.list) == 0 {
		return nil
	}
	sort.SliceStable(ps.list, func(i, j int) bool {
		a, b := ps.list[i].Pos, ps.list[j].Pos
		return a.Line < b.Line || a.Line == b.Line && a.Column < b.Column
	})
	return &FileError{Name: name, Problems: ps.list}
}

// parseYAML reads exactly one YAML (or JSON) document of at most limit
// bytes and returns its root node.
func parseYAML(data []byte, limit int, ps *problems, what string) *yaml.Node {
	if len(data) > limit {
		ps.add(reason.InputTooLarge, Pos{}, "", fmt.Sprintf("keep the %s under %d bytes", what, limit),
			"%s is too large: got %d bytes, want at most %d", what, len(data), limit)
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			ps.add(reason.PolicyInvalid, Pos{Line: 1, Column: 1}, "", "start from 'sovcheck policy init'", "%s is empty", what)
			return nil
		}
		ps.add(reason.PolicyInvalid, yamlErrorPos(err), "", "fix the YAML (or JSON) syntax", "parsing %s: %s", what, yamlErrorText(err))
		return nil
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		at := Pos{Line: extra.Line, Column: extra.Column}
		if err != nil {
			at = yamlErrorPos(err)
		}
		ps.add(reason.PolicyInvalid, at, "", "keep one document per file; remove the '---' separator", "%s holds more than one YAML document", what)
		return nil
	}
	if len(doc.Content) != 1 {
		ps.add(reason.PolicyInvalid, Pos{Line: 1, Column: 1}, "", "start from 'sovcheck policy init'", "%s is empty", what)
		return nil
	}
	return doc.Content[0]
}

// yamlErrorPos extracts the line from a yaml.v3 syntax error ("yaml: line
// N: ..."); yaml.v3 reports no column for syntax errors.
func yamlErrorPos(err error) Pos {
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, "yaml: line "); ok {
		if i := strings.IndexByte(rest, ':'); i > 0 {
			if n, err := strconv.Atoi(rest[:i]); err == nil {
				return Pos{Line: n, Column: 1}
			}
		}
	}
	return Pos{Line: 1, Column: 1}
}

func yamlErrorText(err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if strings.HasPrefix(msg, "line ") {
		if _, rest, ok := strings.Cut(msg, ": "); ok {
			return rest
		}
	}
	return msg
}

// decoder fills Go structs from YAML nodes strictly: unknown fields,
// duplicate keys, wrong types, anchors and aliases are problems.
type decoder struct {
	ps       *problems
	maxItems int // most entries per list or mapping; 0 means MaxListItems
}

func (d *decoder) limit() int {
	if d.maxItems > 0 {
		return d.maxItems
	}
	return MaxListItems
}

func posOf(n *yaml.Node) Pos { return Pos{Line: n.Line, Column: n.Column} }

// decode fills v (addressable) from n. Fields are matched by their yaml tag;
// for a string field, the tag option "date" also accepts a YAML timestamp,
// and "text" any scalar, read as written (a sha256 of digits only resolves
// to a YAML number).
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string, opt string) {
	if n.Kind == yaml.AliasNode || n.Anchor != "" {
		d.ps.at(path, "write the value out in full", "YAML anchors and aliases are not accepted")
		return
	}
	isNull := n.Kind == yaml.ScalarNode && n.Tag == "!!null"
	switch v.Kind() {
	case reflect.Pointer:
		if isNull {
			return
		}
		nv := reflect.New(v.Type().Elem())
		d.decode(n, nv.Elem(), path, opt)
		v.Set(nv)
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	case reflect.Slice:
		if isNull {
			return
		}
		if n.Kind != yaml.SequenceNode {
			d.wrongType(n, path, "a list")
			return
		}
		if len(n.Content) > d.limit() {
			d.ps.at(path, "split the file", "list has %d entries, want at most %d", len(n.Content), d.limit())
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			d.decode(item, s.Index(i), fmt.Sprintf("%s[%d]", path, i), opt)
		}
		v.Set(s)
	case reflect.Map:
		if isNull {
			return
		}
		if n.Kind != yaml.MappingNode {
			d.wrongType(n, path, "a mapping")
			return
		}
		if len(n.Content)/2 > d.limit() {
			d.ps.at(path, "split the file", "mapping has %d entries, want at most %d", len(n.Content)/2, d.limit())
			return
		}
		m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, val := n.Content[i], n.Content[i+1]
			if !d.key(key, path) {
				continue
			}
			kpath := path + "." + key.Value
			if m.MapIndex(reflect.ValueOf(key.Value)).IsValid() {
				d.ps.add(reason.PolicyInvalid, posOf(key), kpath, "remove one of them", "duplicate key %q", key.Value)
				continue
			}
			ev := reflect.New(v.Type().Elem()).Elem()
			d.decode(val, ev, kpath, "")
			m.SetMapIndex(reflect.ValueOf(key.Value), ev)
		}
		v.Set(m)
	case reflect.String:
		ok := n.Kind == yaml.ScalarNode && (n.Tag == "!!str" || opt == "date" && n.Tag == "!!timestamp" ||
			opt == "text" && (n.Tag == "!!int" || n.Tag == "!!float"))
		if !ok {
			d.wrongType(n, path, "a string")
			return
		}
		v.SetString(n.Value)
	case reflect.Bool:
		var b bool
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" || n.Decode(&b) != nil {
			d.wrongType(n, path, "true or false")
			return
		}
		v.SetBool(b)
	case reflect.Int:
		var i int64
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" || n.Decode(&i) != nil || i < math.MinInt32 || i > math.MaxInt32 {
			d.wrongType(n, path, "a whole number")
			return
		}
		v.SetInt(i)
	case reflect.Float64:
		var f float64
		if n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!float") || n.Decode(&f) != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			d.wrongType(n, path, "a number")
			return
		}
		v.SetFloat(f)
	default:
		panic(fmt.Sprintf("policy: decoding into unsupported kind %s", v.Kind()))
	}
}

// key checks that a mapping key is a plain string.
func (d *decoder) key(k *yaml.Node, path string) bool {
	if k.Kind != yaml.ScalarNode || k.Tag != "!!str" || k.Anchor != "" {
		d.ps.add(reason.PolicyInvalid, posOf(k), path, "use plain field names as keys", "mapping key is not a string")
		return false
	}
	return true
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.wrongType(n, path, "a mapping")
		return
	}
	fields := structFields(v.Type())
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		if !d.key(key, path) {
			continue
		}
		kpath := joinPath(path, key.Value)
		f, ok := fields[key.Value]
		if !ok {
			d.ps.add(reason.PolicyInvalid, posOf(key), kpath, unknownFieldHint(key.Value, fields), "unknown field %q", key.Value)
			continue
		}
		if seen[key.Value] {
			d.ps.add(reason.PolicyInvalid, posOf(key), kpath, "remove one of them", "duplicate field %q", key.Value)
			continue
		}
		seen[key.Value] = true
		d.decode(val, v.Field(f.index), kpath, f.opt)
	}
}

func joinPath(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}

func (d *decoder) wrongType(n *yaml.Node, path, want string) {
	hint := "see 'sovcheck policy init' for the expected form"
	if want == "a string" && n.Kind == yaml.ScalarNode {
		hint = "quote the value"
	}
	d.ps.add(reason.PolicyInvalid, posOf(n), path, hint, "wrong type: got %s, want %s", describeNode(n), want)
}

func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	switch n.Tag {
	case "!!str":
		return fmt.Sprintf("string %q", clip(n.Value, 40))
	case "!!int":
		return "number " + clip(n.Value, 40)
	case "!!float":
		return "number " + clip(n.Value, 40)
	case "!!bool":
		return n.Value
	case "!!null":
		return "nothing"
	case "!!timestamp":
		return "date " + clip(n.Value, 40)
	}
	return fmt.Sprintf("%s %q", n.Tag, clip(n.Value, 40))
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

type fieldInfo struct {
	index int
	opt   string // "date", "text" or ""
}

func structFields(t reflect.Type) map[string]fieldInfo {
	m := make(map[string]fieldInfo, t.NumField())
	for i := range t.NumField() {
		tag := t.Field(i).Tag.Get("yaml")
		name, opt, _ := strings.Cut(tag, ",")
		if name == "" || name == "-" {
			continue
		}
		m[name] = fieldInfo{index: i, opt: opt}
	}
	return m
}

// unknownFieldHint suggests the nearest known field, or lists them all.
func unknownFieldHint(got string, fields map[string]fieldInfo) string {
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	sort.Strings(names)
	best, bestD := "", 3
	for _, k := range names {
		if d := editDistance(strings.ToLower(got), strings.ToLower(k)); d < bestD {
			best, bestD = k, d
		}
	}
	if best != "" {
		return fmt.Sprintf("did you mean %q?", best)
	}
	return "known fields here: " + strings.Join(names, ", ")
}

// editDistance is the Levenshtein distance of two short strings.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

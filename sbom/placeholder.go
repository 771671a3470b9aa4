package sbom

import (
	"path"
	"strings"
)

// Generator placeholders are components that SBOM generators write for
// things they found but could not name: Trivy lists each language
// application as a package named after its type ("gobinary", "jar",
// "node-pkg") or after the file it read ("usr/local/bin/app",
// "package-lock.json"); syft and cdxgen name the scanned source after its
// path; some documents leave the name empty or write UNKNOWN. None of them
// is an upstream project: two products that both hold a "gobinary" share
// nothing. Such a component is unidentifiable, with the rule that said so,
// and never resolves to an upstream.

// Placeholder rules, reported as the unidentifiable label's rule.
const (
	RulePlaceholderGeneratorType = "identity/placeholder-generator-type"
	RulePlaceholderFilePath      = "identity/placeholder-file-path"
	RulePlaceholderManifest      = "identity/placeholder-manifest-file"
	RulePlaceholderEmptyName     = "identity/placeholder-empty-name"
	RulePlaceholderUnknownName   = "identity/placeholder-unknown-name"
	RulePlaceholderTrivyApp      = "identity/placeholder-trivy-application"
)

// generatorTypeNames are the application types Trivy (and its SPDX
// output) writes as package names, and the equivalents of syft's
// catalogers. A component so named with no purl, CPE, SWID tag and no
// version is a placeholder; with any of them it is a real package of that
// name (the Rust crate "cargo", the Python package "pip 24.0").
var generatorTypeNames = map[string]bool{
	// Trivy language and binary types (pkg/fanal/types).
	"gobinary": true, "gomod": true, "jar": true, "pom": true, "gradle": true, "sbt": true,
	"node-pkg": true, "npm": true, "yarn": true, "pnpm": true, "bun": true,
	"python-pkg": true, "pip": true, "pipenv": true, "poetry": true, "uv": true, "conda-pkg": true, "conda-environment": true,
	"gemspec": true, "bundler": true, "cargo": true, "rustbinary": true, "rust-binary": true,
	"composer": true, "composer-vendor": true, "nuget": true, "dotnet-core": true, "packages-props": true,
	"conan": true, "cocoapods": true, "swift": true, "pub": true, "hex": true, "mix": true, "julia": true,
	"bitnami": true, "wordpress": true, "k8s": true, "lang-pkgs": true, "os-pkgs": true,
	// syft catalogers' package kinds.
	"go-module-binary": true, "go-module-file": true, "java-archive": true,
}

// manifestNames are lockfiles and manifests that generators list as
// components named after the file they read.
var manifestNames = map[string]bool{
	"package-lock.json": true, "npm-shrinkwrap.json": true, "yarn.lock": true, "pnpm-lock.yaml": true, "bun.lock": true, "bun.lockb": true,
	"package.json": true, "go.mod": true, "go.sum": true, "gemfile.lock": true, "gemfile": true, "requirements.txt": true,
	"pipfile.lock": true, "poetry.lock": true, "uv.lock": true, "pyproject.toml": true, "setup.py": true,
	"cargo.lock": true, "cargo.toml": true, "composer.lock": true, "composer.json": true, "pom.xml": true,
	"build.gradle": true, "build.gradle.kts": true, "gradle.lockfile": true, "packages.lock.json": true,
	"packages.config": true, "podfile.lock": true, "package.resolved": true, "pubspec.lock": true, "mix.lock": true,
	"conan.lock": true, "conanfile.txt": true, "manifest.toml": true, "environment.yml": true,
}

// unknownNames are words written where a name is not known.
var unknownNames = map[string]bool{
	"unknown": true, "noassertion": true, "none": true, "n/a": true, "na": true, "-": true, "?": true,
	"null": true, "undefined": true, "(none)": true, "<unknown>": true,
}

// placeholderOf returns the rule, the field and a detail when c is a
// generator placeholder, or an empty rule. A component with a purl, CPE or
// SWID tag is named by that identifier and is never a placeholder.
func placeholderOf(c *Component) (rule, detail string) {
	if strings.TrimSpace(c.PURL) != "" || strings.TrimSpace(c.CPE) != "" || strings.TrimSpace(c.SWID) != "" {
		return "", ""
	}
	if c.Placeholder != "" {
		return c.Placeholder, "the generator marks this component as an application it found, not a package it identified"
	}
	name := strings.TrimSpace(c.Name)
	lower := strings.ToLower(name)
	switch {
	case name == "" && strings.TrimSpace(c.Group) == "":
		return RulePlaceholderEmptyName, "the component has no name and no purl, CPE or SWID tag"
	case unknownNames[lower]:
		return RulePlaceholderUnknownName, "the component is named " + quote(name) + ", which says the name is not known"
	case generatorTypeNames[lower] && c.Group == "" && strings.TrimSpace(c.Version) == "":
		return RulePlaceholderGeneratorType, quote(name) + " is a generator's name for a kind of application, not a project"
	case manifestNames[strings.ToLower(path.Base(lower))]:
		return RulePlaceholderManifest, quote(name) + " is the manifest or lockfile the generator read, not a project"
	case looksLikePath(name):
		return RulePlaceholderFilePath, quote(name) + " is a file path, not a project name"
	}
	return "", ""
}

// looksLikePath tells a file path ("/usr/bin/app", "usr/local/bin/app",
// "./lib/x.jar", "C:\\app") from a project name. Names whose first segment
// is a domain (github.com/a/b), npm scopes (@scope/pkg) and Maven-style
// groups are not paths.
func looksLikePath(name string) bool {
	if strings.ContainsRune(name, '\\') || strings.HasPrefix(name, "/") || strings.HasPrefix(name, "./") ||
		strings.HasPrefix(name, "../") || name == "." || name == ".." {
		return true
	}
	first, rest, ok := strings.Cut(name, "/")
	if !ok || strings.HasPrefix(first, "@") || strings.Contains(first, ".") || strings.Contains(first, ":") {
		return false
	}
	// Two or more segments under a file system root directory.
	switch first {
	case "usr", "bin", "sbin", "lib", "lib64", "opt", "etc", "var", "home", "root", "srv", "app", "tmp", "go", "src", "node_modules", "vendor", "site-packages", "dist", "build", "target", "workspace":
		return rest != ""
	}
	return strings.Count(name, "/") >= 2 && strings.Contains(path.Base(name), ".")
}

func quote(s string) string { return "\"" + s + "\"" }

package drill

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// ProductPackage is the production main the drills run as subprocesses.
const ProductPackage = "github.com/convrelay/convrelay/cmd/convrelay"

// BuildBinary compiles the production binary into dir and returns its path.
func BuildBinary(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "convrelay")
	cmd := exec.CommandContext(ctx, goTool(), "build", "-o", bin, ProductPackage)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s (run inside the repository, or pass a built binary): %w\n%s", ProductPackage, err, out)
	}
	return bin, nil
}

// goTool finds the go command: PATH first, then $GOROOT/bin and /usr/local/go/bin.
func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	for _, dir := range []string{os.Getenv("GOROOT"), "/usr/local/go"} {
		if p := filepath.Join(dir, "bin", "go"); dir != "" && isFile(p) {
			return p
		}
	}
	return "go"
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

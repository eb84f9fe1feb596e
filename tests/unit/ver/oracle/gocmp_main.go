package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"
)

func main() {
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		p := strings.Split(sc.Text(), "\t")
		fmt.Println(Compare(p[0], p[1]))
	}
}

// One static HTTP endpoint: answers every request on :8080 with a fixed body.
package main

import (
	"log"
	"net/http"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("hello from Go\n"))
	})
	log.Fatal(http.ListenAndServe(":8080", nil))
}

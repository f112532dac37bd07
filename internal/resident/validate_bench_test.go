package resident

import (
	"testing"
	"time"
)

func BenchmarkValidate(b *testing.B) {
	in := Input{Code: "0000100001", NameKanji: "山田　太郎", NameKana: "ヤマダ　タロウ", Address: "東京都新宿区西新宿二丁目8番1号",
		BirthDate: "1980-04-01", Sex: "1", MyNumber: "123456789018"}
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := validate(in, now); err != nil {
			b.Fatal(err)
		}
	}
}

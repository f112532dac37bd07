package jpki

// Held is how many sealed work records this process keeps in memory.
func (s *Service) Held() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.held)
}
